/**
 * The "node-http" transport: a fetch made of node:http and node:https, chosen by name
 * only (SEATKEEPER_TRANSPORT=node-http or the `transport` option), never by guessing.
 *
 * Why it exists: Wine 8 does not implement the TCP_KEEPALIVE socket option (its log says
 * "fixme:winsock:setsockopt Unknown IPPROTO_TCP optname 0x00000003"). Node's built-in
 * fetch (undici) asks for keep-alive before the socket connects; libuv then sets the option
 * on the new socket and fails the connect with "connect UNKNOWN", to any address. node:http
 * without an agent asks for no keep-alive. Real Windows has the option, so it runs the
 * default transport, fetch.
 */
import http from "node:http";
import https from "node:https";
import { ConfigurationError } from "../errors.js";

export const transportNames = ["fetch", "node-http"] as const;
export type TransportName = (typeof transportNames)[number];

/** The transport named by the option or SEATKEEPER_TRANSPORT; default fetch. */
export function transportFromSettings(option: TransportName | undefined, env: Record<string, string | undefined>): TransportName {
  const raw = option ?? env.SEATKEEPER_TRANSPORT?.trim();
  if (raw === undefined || raw === "") return "fetch";
  if ((transportNames as readonly string[]).includes(raw)) return raw as TransportName;
  throw new ConfigurationError(`SEATKEEPER_TRANSPORT is "${raw}"; it is one of ${transportNames.join(", ")} (node-http only under Wine).`);
}

/** The fetch to give the Transport for a transport name: undefined means the global fetch. */
export function fetchFor(name: TransportName): typeof fetch | undefined {
  return name === "node-http" ? nodeHttpFetch : undefined;
}

const MAX_REDIRECTS = 5;

/**
 * As much of fetch as the SDK's Transport uses: method, headers, a string body, an abort
 * signal, redirects followed. Failures reject as fetch's do (a TypeError whose cause
 * carries the system error's code), so one error mapping serves both transports.
 */
export const nodeHttpFetch: typeof fetch = async (input, init = {}) => {
  let url = new URL(input instanceof Request ? input.url : String(input));
  let method = (init.method ?? "GET").toUpperCase();
  let body = typeof init.body === "string" ? init.body : undefined;
  if (init.body != null && body === undefined) throw new TypeError("The node-http transport sends string bodies only.");
  const headers = Object.fromEntries(new Headers(init.headers).entries());
  for (let hop = 0; ; hop++) {
    const res = await once(url, method, headers, body, init.signal ?? undefined);
    const location = res.headers.get("location");
    if (init.redirect === "manual" || res.status < 300 || res.status > 399 || res.status === 304 || !location) return res;
    if (init.redirect === "error" || hop >= MAX_REDIRECTS) throw new TypeError("fetch failed", { cause: new Error(`too many redirects from ${url.origin}`) });
    url = new URL(location, url);
    if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === "POST")) {
      method = "GET";
      body = undefined;
      delete headers["content-type"];
    }
  }
};

function once(url: URL, method: string, headers: Record<string, string>, body: string | undefined, signal: AbortSignal | undefined): Promise<Response> {
  return new Promise((resolve, reject) => {
    if (url.protocol !== "http:" && url.protocol !== "https:") return reject(new TypeError("fetch failed", { cause: new Error(`unsupported protocol ${url.protocol}`) }));
    const lib = url.protocol === "https:" ? https : http;
    // A fresh connection per request: nothing pooled outlives the call or holds a process open.
    const req = lib.request(url, { method, headers: body === undefined ? headers : { ...headers, "content-length": String(Buffer.byteLength(body)) }, signal, agent: false });
    req.once("error", (err) => reject(signal?.aborted ? signal.reason : new TypeError("fetch failed", { cause: err })));
    req.once("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.once("error", (err) => reject(signal?.aborted ? signal.reason : new TypeError("fetch failed", { cause: err })));
      res.once("end", () => {
        const out = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) for (const one of Array.isArray(v) ? v : [v]) out.append(k, one);
        const status = res.statusCode ?? 502;
        const noBody = status === 204 || status === 304 || method === "HEAD";
        resolve(new Response(noBody ? null : Buffer.concat(chunks), { status, statusText: res.statusMessage ?? "", headers: out }));
      });
    });
    req.end(body);
  });
}
