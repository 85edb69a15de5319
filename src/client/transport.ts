/**
 * One HTTP exchange with the service: JSON in, an answer checked against the contract's
 * schema out, and every failure turned into the SDK's errors. Web-standard fetch only,
 * so the same code runs in Node and in browsers.
 */
import type { z } from "zod";
import { ConfigurationError, errorFromResponse, OfflineError, UnexpectedResponseError } from "./errors.js";

export interface TransportOptions {
  /** The service's base address, e.g. https://licensing.example.com. */
  url: string;
  /** Extra headers sent with every request (a proxy's, or CF-Connecting-IP in local tests). */
  headers?: Record<string, string>;
  /** Give up on one attempt after this long; the service then counts as unreachable. Default 10 s. */
  timeoutMs?: number;
  /** A fetch to use instead of the global one. */
  fetch?: typeof fetch;
}

export interface RequestOptions {
  body?: unknown;
  bearer?: string;
  query?: Record<string, string | number | undefined>;
  timeoutMs?: number;
}

export const DEFAULT_TIMEOUT_MS = 10_000;

/** `https://host/` and `https://host` alike; anything but http(s) is refused. */
export function normalizeServiceUrl(raw: string): string {
  let parsed: URL;
  try {
    parsed = new URL(raw.trim());
  } catch {
    throw new ConfigurationError(`The service address "${raw}" is not a URL; give it as https://licensing.example.com.`);
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw new ConfigurationError(`The service address "${raw}" must start with https:// (or http:// for a local service).`);
  }
  return parsed.toString().replace(/\/+$/, "");
}

export class Transport {
  readonly url: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(options: TransportOptions) {
    this.url = normalizeServiceUrl(options.url);
    this.headers = options.headers ?? {};
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  }

  async request<S extends z.ZodType>(method: string, path: string, schema: S, options: RequestOptions = {}): Promise<z.infer<S>> {
    const target = new URL(this.url + path);
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) target.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: "application/json", ...this.headers };
    if (options.body !== undefined) headers["content-type"] = "application/json";
    if (options.bearer !== undefined) headers.authorization = `Bearer ${options.bearer}`;

    // A timer that holds the process open while the request is in flight: AbortSignal.timeout's does
    // not, and Node 20's fetch can leave a request to a connection closed at once pending with no
    // handle at all, so the process ended with exit 0 and nothing said (docs/client.md).
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new DOMException(`no answer within ${timeoutMs} ms`, "TimeoutError")), timeoutMs);
    let res: Response;
    let body: unknown;
    let text = "";
    try {
      try {
        res = await this.fetchImpl(target, {
          method,
          headers,
          body: options.body === undefined ? undefined : JSON.stringify(options.body),
          signal: abort.signal,
          redirect: "follow",
        });
      } catch (err) {
        throw new OfflineError(this.url, networkReason(err, timeoutMs), { cause: err });
      }
      try {
        text = await res.text();
        body = text === "" ? undefined : JSON.parse(text);
      } catch (err) {
        if (!(err instanceof SyntaxError)) throw new OfflineError(this.url, networkReason(err, timeoutMs), { cause: err });
        body = undefined;
      }
    } finally {
      clearTimeout(timer);
    }
    if (!res.ok) throw errorFromResponse(this.url, res.status, body, res.headers.get("retry-after"));
    if (body === undefined) throw new UnexpectedResponseError(this.url, res.status, text === "" ? "an empty body" : "not JSON");
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      throw new UnexpectedResponseError(this.url, res.status, `${first?.path.join(".") || "body"}: ${first?.message ?? "does not match the contract"}`);
    }
    return parsed.data;
  }

  /** A GET whose answer is streamed (an export): the body as it arrives; the timeout covers the wait for it to begin. */
  async stream(path: string, bearer: string): Promise<ReadableStream<Uint8Array>> {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new DOMException(`no answer within ${this.timeoutMs} ms`, "TimeoutError")), this.timeoutMs);
    let res: Response;
    try {
      res = await this.fetchImpl(new URL(this.url + path), { headers: { ...this.headers, authorization: `Bearer ${bearer}` }, signal: abort.signal, redirect: "follow" });
    } catch (err) {
      throw new OfflineError(this.url, networkReason(err, this.timeoutMs), { cause: err });
    } finally {
      clearTimeout(timer);
    }
    if (!res.ok || !res.body) {
      const text = await res.text().catch(() => "");
      let body: unknown;
      try {
        body = text === "" ? undefined : JSON.parse(text);
      } catch {
        body = undefined;
      }
      if (!res.ok) throw errorFromResponse(this.url, res.status, body, res.headers.get("retry-after"));
      throw new UnexpectedResponseError(this.url, res.status, "an empty body");
    }
    return res.body;
  }
}

/** A short, human reason for a failed fetch: refused, not found, timed out. */
function networkReason(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === "TimeoutError" || e?.name === "AbortError") return `no answer within ${Math.round(timeoutMs / 100) / 10} s`;
  const code = e?.cause?.code;
  switch (code) {
    case "ECONNREFUSED":
      return "connection refused";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "the host name could not be resolved";
    case "ECONNRESET":
      return "the connection was reset";
    case "UND_ERR_SOCKET": // fetch's "other side closed": a firewall or proxy that drops the connection
      return "the connection was closed before an answer came";
    case "ETIMEDOUT":
    case "UND_ERR_CONNECT_TIMEOUT":
      return "the connection timed out";
    case "CERT_HAS_EXPIRED":
    case "UNABLE_TO_VERIFY_LEAF_SIGNATURE":
    case "SELF_SIGNED_CERT_IN_CHAIN":
    case "DEPTH_ZERO_SELF_SIGNED_CERT":
      return `the server's certificate was not accepted: ${code}`;
    default:
      return code ?? e?.cause?.message ?? e?.message ?? "network error";
  }
}
