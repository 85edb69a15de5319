/**
 * Talks to the Worker as a client would: real Requests through the Worker's own fetch
 * handler, in workerd, with the real bindings. Called directly rather than through
 * `SELF`: in this pool (0.15.1) every `SELF.fetch` costs more than the one before
 * (100 requests: 0.2 s, then 0.5, 1.2, 2.2, 3.7 s), which made a 2,000-request flood take minutes.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import worker from "../../src/worker/index";
import { expect } from "vitest";

export const VENDOR = env.ADMIN_TOKEN;
let addressCounter = 0;

/** A fresh client address, so one test's failed attempts never rate-limit another's. */
export function freshAddress(): string {
  addressCounter++;
  return `198.51.${Math.floor(addressCounter / 250) % 250}.${(addressCounter % 250) + 1}`;
}

export interface CallOptions {
  body?: unknown;
  rawBody?: string;
  token?: string;
  headers?: Record<string, string>;
  address?: string;
}

export async function call(method: string, path: string, opts: CallOptions = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = { "cf-connecting-ip": opts.address ?? "192.0.2.1", ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined = opts.rawBody;
  if (opts.body !== undefined) body = JSON.stringify(opts.body);
  if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === "content-type")) headers["content-type"] = "application/json";
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`https://seatkeeper.test${path}`, { method, headers, body }), env, ctx);
  await waitOnExecutionContext(ctx);
  const text = await res.text();
  let parsed: any = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON: keep the text */
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

export interface TestPool {
  poolId: string;
  serial: string;
  productKey: string;
  adminKey: string;
  seats: number;
}

export async function createPool(seats: number, extra: Record<string, unknown> = {}): Promise<TestPool> {
  const res = await call("POST", "/v1/pools", { token: VENDOR, body: { customer: "Acme Ltd", seats, ...extra } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

export interface Identity {
  user: string;
  machine: string;
  terminalSession?: string;
  clientVersion?: string;
  instance?: string;
  machineId?: string;
  group?: string;
}

export function checkout(pool: TestPool, who: Identity, opts: CallOptions = {}) {
  return call("POST", "/v1/sessions", { ...opts, body: { serial: pool.serial, productKey: pool.productKey, ...who } });
}

export function release(sessionId: string, token: string) {
  return call("DELETE", `/v1/sessions/${sessionId}`, { token });
}

export function heartbeat(sessionId: string, token: string) {
  return call("POST", `/v1/sessions/${sessionId}/heartbeat`, { token });
}

export function sessionStatus(sessionId: string, token: string) {
  return call("GET", `/v1/sessions/${sessionId}`, { token });
}

export async function seatsOf(pool: TestPool) {
  const res = await call("GET", `/v1/pools/${pool.poolId}/seats`, { token: VENDOR });
  expect(res.status).toBe(200);
  return res.body.seats as any[];
}

export async function poolOf(pool: TestPool) {
  const res = await call("GET", `/v1/pools/${pool.poolId}`, { token: VENDOR });
  expect(res.status).toBe(200);
  return res.body;
}

/** The pool object's own records: its counter against a recount of its rows. */
export async function auditOf(pool: TestPool) {
  const stub = env.POOL.get(env.POOL.idFromName(pool.poolId));
  return (await stub.audit())!;
}

/** A pool as the vendor reads it back: details, seats, the object's own counts, whether its admin key works, its audit log. */
export interface PoolRecords {
  pool: Record<string, unknown>;
  seats: unknown[];
  audit: { inUse: number; activeSeats: number; activeSessions: number };
  adminKeyWorks: boolean;
  /** event types, newest first */
  events: string[];
}

export async function recordsOf(pool: TestPool): Promise<PoolRecords> {
  const details = await call("GET", `/v1/pools/${pool.poolId}`, { token: VENDOR });
  const seats = await call("GET", `/v1/pools/${pool.poolId}/seats`, { token: VENDOR });
  const events = await call("GET", `/v1/pools/${pool.poolId}/events?limit=500`, { token: VENDOR });
  const ownKey = await call("GET", `/v1/pools/${pool.poolId}`, { token: pool.adminKey, address: freshAddress() });
  expect([details.status, seats.status, events.status]).toEqual([200, 200, 200]);
  return {
    pool: details.body,
    seats: seats.body.seats,
    audit: await auditOf(pool),
    adminKeyWorks: ownKey.status === 200,
    events: events.body.events.map((e: { type: string }) => e.type),
  };
}

export function expectError(res: { status: number; body: any }, status: number, code: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.error.code).toBe(code);
  expect(typeof res.body.error.message).toBe("string");
  expect(res.body.error.message.length).toBeGreaterThan(5);
}

/** Asks for a live channel (`/v1/sessions/{id}/live`, `/v1/tickets/{id}/live`) as a client would: the 101 with its socket, or the error. */
export async function upgradeTo(path: string, headers: Record<string, string>): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`https://seatkeeper.test${path}`, { headers }), env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/** An open live channel: every message it receives, `next(n)` for the n-th, and a promise of its close. */
export async function openSocket(path: string, headers: Record<string, string>) {
  const res = await upgradeTo(path, { Upgrade: "websocket", ...headers });
  if (res.status !== 101) throw new Error(`expected 101, got ${res.status}: ${await res.text()}`);
  const ws = res.webSocket!;
  const messages: string[] = [];
  const waiters: (() => void)[] = [];
  const closed = new Promise<{ code: number }>((resolve) => ws.addEventListener("close", (e) => resolve({ code: e.code })));
  ws.addEventListener("message", (e) => {
    messages.push(String(e.data));
    waiters.splice(0).forEach((w) => w());
  });
  ws.accept();
  const next = async (n: number) => {
    while (messages.length < n) await new Promise<void>((r) => waiters.push(r));
    return messages[n - 1]!;
  };
  return { res, ws, messages, next, closed };
}

/**
 * A browser, enough for the dashboard's form posts: cookies kept, same-origin, redirects not
 * followed. `text` has `&#39;` put back as `'`, so a test can look for the server's words as written.
 */
export function dashboardBrowser(address = "192.0.2.50") {
  const jar = new Map<string, string>();
  return async (method: string, path: string, form?: Record<string, string> | [string, string][]) => {
    const headers: Record<string, string> = { "sec-fetch-site": "same-origin", "cf-connecting-ip": address };
    if (jar.size) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
    let body: string | undefined;
    if (form) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      body = new URLSearchParams(form).toString();
    }
    const ctx = createExecutionContext();
    const res = await worker.fetch(new Request(`https://seatkeeper.test${path}`, { method, headers, body }), env, ctx);
    await waitOnExecutionContext(ctx);
    for (const c of res.headers.getAll("set-cookie")) {
      const [pair] = c.split(";");
      const [k, v] = pair!.split("=");
      if (v === "" || /max-age=0/i.test(c)) jar.delete(k!);
      else jar.set(k!, v!);
    }
    return { status: res.status, location: res.headers.get("location"), type: res.headers.get("content-type"), text: (await res.text()).replaceAll("&#39;", "'") };
  };
}

/** The CSRF token a dashboard page's forms carry. */
export const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
