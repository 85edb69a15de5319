/**
 * Bad input: a property-based fuzzer (fast-check) throws generated methods, paths,
 * queries, headers, bodies and tokens at every endpoint, for a fixed number of runs
 * with a printed seed, and checks three things:
 *
 *   - no answer is a 5xx;
 *   - every error is in the contract's shape: JSON `{ error: { code, message, details? } }`
 *     with a known code sent with its own status;
 *   - nothing changes: pools, seats, sessions, credentials, admin keys and the audit log
 *     (apart from the `auth_failed` and `denied` events that record the attempts) are
 *     compared with a snapshot every `checkEvery` runs and at the end.
 *
 * The fuzzer also holds real credentials (the vendor token, a pool's admin key, genuine
 * session tokens, a real serial and product key), because input that is malformed only
 * in one field must still be refused before anything is written. Where a request with
 * real credentials could legitimately change state (a well-formed release of the
 * token's own session, a valid PATCH, a new admin key), the credential is swapped for a
 * forged one before sending: the request stays, its authority goes.
 */
import fc from "fast-check";
import { SignJWT, generateKeyPair } from "jose";
import { CheckoutRequest, CreatePoolRequest, RotateCredentialsRequest, UpdatePoolRequest } from "../../src/contract/schemas.js";
import { normalizeKey, parsePoolId } from "../../src/worker/credentials.js";
import { call, createPool, devReloads, drillLog, errorShapeProblem, isDevReload, type CreatedPool, type DrillOutcome, type Target } from "./common.js";

export interface FuzzOptions {
  runs: number;
  seed: number;
  /** Compare the state snapshot every this many runs. */
  checkEvery?: number;
  log?: (line: string) => void;
}

type Body =
  | { kind: "none" }
  | { kind: "json"; value: unknown }
  | { kind: "text"; text: string }
  | { kind: "bytes"; bytes: number[] };

type Credential =
  | { kind: "none" }
  | { kind: "raw"; header: string }
  | { kind: "vendor" }
  | { kind: "admin"; pool: 0 | 1 }
  | { kind: "token"; session: number }
  | { kind: "forged"; which: number };

interface FuzzRequest {
  method: string;
  path: string;
  credential: Credential;
  contentType: string | null;
  body: Body;
  address: string | null;
  extra: [string, string] | null;
}

interface Fixture {
  pools: [CreatedPool, CreatedPool];
  sessions: { sessionId: string; seatId: string; token: string; poolIndex: 0 | 1 }[];
  forgedTokens: string[];
  forgedAdminKeys: string[];
}

const PRIVILEGED_KINDS = new Set(["vendor", "admin", "token"]);
const JSON_CONTENT_TYPE = /^application\/([a-z-.]+\+)?json(;\s*[a-zA-Z0-9-]+=([^;]+))*$/i;
const b64url = (s: string) => Buffer.from(s).toString("base64url");

async function setUp(target: Target): Promise<Fixture> {
  const a = await createPool(target, "Fuzz A", 5);
  const b = await createPool(target, "Fuzz B", 3);
  const sessions: Fixture["sessions"] = [];
  for (const [pool, poolIndex, user, terminalSession] of [[a, 0, "ann", undefined], [a, 0, "bob", "RDP-Tcp#3"], [b, 1, "cat", undefined]] as const) {
    const res = await call(target, "POST", "/v1/sessions", {
      body: { serial: pool.serial, productKey: pool.productKey, user, machine: `PC-${user}`, clientVersion: "16.0.2", instance: `fuzz-${user}`, ...(terminalSession ? { terminalSession } : {}) },
    });
    if (res.status !== 201) throw new Error(`fuzz set-up checkout answered ${res.status}: ${res.text}`);
    const g = res.json as { sessionId: string; seatId: string; token: string };
    sessions.push({ ...g, poolIndex });
  }
  const genuine = sessions[0]!.token;
  const [h, p] = genuine.split(".") as [string, string, string];
  const claims = JSON.parse(Buffer.from(p, "base64url").toString()) as Record<string, unknown>;
  const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
  const foreign = await new SignJWT(claims).setProtectedHeader({ alg: "EdDSA", kid: JSON.parse(Buffer.from(h, "base64url").toString()).kid }).sign(privateKey);
  const forgedTokens = [
    `${h}.${b64url(JSON.stringify({ ...claims, user: "mallory" }))}.${genuine.split(".")[2]}`, // tampered payload
    `${b64url(JSON.stringify({ alg: "none", typ: "JWT" }))}.${p}.`, // alg none
    foreign, // signed by a key that is not ours
    `${b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }))}.${p}.${genuine.split(".")[2]}`, // alg confusion
    genuine.slice(0, -3), // truncated signature
    `${h}.${p}`, // no signature
    `${genuine}.${genuine}`,
    genuine.replace(/\./g, ""),
  ];
  const forgedAdminKeys = [
    `AK-${a.poolId.match(/.{4}/g)!.join("-")}-00000-00000-00000-00000-00000`, // right pool, wrong secret
    b.adminKey.replace(/-/g, "").toLowerCase().replace(/.$/, "0"),
    "AK-" + "Z".repeat(50),
  ];
  return { pools: [a, b], sessions, forgedTokens, forgedAdminKeys };
}

// ---- arbitraries ----------------------------------------------------------------

function arbitraries(fx: Fixture): fc.Arbitrary<FuzzRequest> {
  const [a, b] = fx.pools;
  const nasty = fc.constantFrom("", " ", "..", ".", "%00", "%zz", "%2e%2e", "%2F", "a".repeat(300), "null", "__proto__", "constructor", "\u202e", "𝕏", "ses_", "G0000000000000000", "SK-", "../../v1/pools");
  const unicode = fc.string({ unit: "binary", maxLength: 40 });
  const segment = (real: string[]) =>
    fc.oneof(
      { arbitrary: fc.constantFrom(...real), weight: 4 },
      { arbitrary: fc.constantFrom(...real).map((s) => s.toLowerCase()), weight: 1 },
      { arbitrary: fc.constantFrom(...real).map((s) => `${s}x`), weight: 1 },
      { arbitrary: unicode.map(encodeURIComponent), weight: 2 },
      { arbitrary: fc.string({ maxLength: 20 }), weight: 1 },
      { arbitrary: nasty, weight: 2 },
    );
  const sid = segment(fx.sessions.map((s) => s.sessionId));
  const pid = segment([a.poolId, b.poolId, a.serial]);
  const seat = segment(fx.sessions.map((s) => s.seatId));
  const query = fc.oneof(
    { arbitrary: fc.constant(""), weight: 3 },
    {
      arbitrary: fc
        .dictionary(
          fc.constantFrom("limit", "before", "after", "from", "to", "bucket", "x", "limit[]", "__proto__"),
          fc.oneof(fc.integer().map(String), fc.string({ maxLength: 30 }), fc.constantFrom("-1", "0", "1e309", "NaN", "2026-13-45", "hour", "day", "week", "9".repeat(40), "2026-01-01T00:00:00Z")),
          { maxKeys: 4 },
        )
        .map((d) => `?${new URLSearchParams(d).toString()}`),
      weight: 2,
    },
  );
  const template: fc.Arbitrary<[string, string]> = fc.oneof(
    fc.tuple(fc.constant("POST"), fc.constant("/v1/sessions")),
    sid.map((s): [string, string] => ["DELETE", `/v1/sessions/${s}`]),
    sid.map((s): [string, string] => ["POST", `/v1/sessions/${s}/heartbeat`]),
    sid.map((s): [string, string] => ["GET", `/v1/sessions/${s}`]),
    fc.constant<[string, string]>(["POST", "/v1/pools"]),
    query.map((q): [string, string] => ["GET", `/v1/pools${q}`]),
    pid.map((p): [string, string] => ["GET", `/v1/pools/${p}`]),
    pid.map((p): [string, string] => ["PATCH", `/v1/pools/${p}`]),
    pid.map((p): [string, string] => ["GET", `/v1/pools/${p}/seats`]),
    fc.tuple(pid, seat).map(([p, s]): [string, string] => ["DELETE", `/v1/pools/${p}/seats/${s}`]),
    pid.map((p): [string, string] => ["POST", `/v1/pools/${p}/credentials`]),
    pid.map((p): [string, string] => ["POST", `/v1/pools/${p}/admin-keys`]),
    fc.tuple(pid, query).map(([p, q]): [string, string] => ["GET", `/v1/pools/${p}/events${q}`]),
    fc.tuple(pid, query).map(([p, q]): [string, string] => ["GET", `/v1/pools/${p}/usage${q}`]),
    fc.constantFrom<[string, string]>(["GET", "/.well-known/jwks.json"], ["GET", "/healthz"], ["GET", "/openapi.json"], ["GET", "/docs"]),
    fc.webPath().map((p): [string, string] => ["GET", p || "/"]),
    fc.tuple(unicode, nasty).map(([u, n]): [string, string] => ["GET", `/v1/${encodeURIComponent(u)}/${n}`]),
  );
  const method = fc.oneof(
    { arbitrary: fc.constant<string | null>(null), weight: 6 },
    { arbitrary: fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"), weight: 1 },
  );
  const text = (max: number) => fc.oneof(fc.string({ unit: "binary", maxLength: max }), fc.constantFrom("", "   ", "\u0000", "x\ny", "\ud800", "a".repeat(max + 1)));
  const anyValue = fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 }), fc.object({ maxDepth: 1 }));
  const field = <T>(good: fc.Arbitrary<T>) => fc.oneof({ arbitrary: good, weight: 3 }, { arbitrary: anyValue, weight: 1 });
  const checkoutBody = fc.record(
    {
      serial: field(fc.constantFrom(a.serial, b.serial, a.serial.toLowerCase(), a.serial.replace(/-/g, ""), a.serial.slice(0, -1) + "0", "SK-0000-0000-0000-0000-1A")),
      productKey: field(fc.oneof(fc.constantFrom(a.productKey, b.productKey, a.productKey.toLowerCase(), "00000-00000-00000-00000-00000"), fc.string({ maxLength: 120 }))),
      user: field(text(260)),
      machine: field(text(260)),
      terminalSession: field(text(130)),
      clientVersion: field(fc.oneof(fc.constantFrom("16.0.2", "16", "", "1..2", "v16", "1.2.3.4.5.6.7.8.9.10.11.12.13.14.15", "9".repeat(33)), fc.string({ maxLength: 40 }))),
      instance: field(fc.oneof(fc.constantFrom("fuzz-ann", "fuzz-cat"), fc.string({ maxLength: 140 }))),
    },
    { requiredKeys: [] },
  );
  const adminBody = fc.record(
    {
      customer: field(text(210)),
      seats: field(fc.oneof(fc.integer(), fc.constantFrom(-1, 0, 1.5, 1_000_001, 1e21, "5"))),
      minClientVersion: field(fc.oneof(fc.constantFrom("16.0.2", "", "x", null), fc.string({ maxLength: 40 }))),
      staleAfterHours: field(fc.constantFrom(0, 1, 24, 8761, 1.5, -1, null, "24")),
      endSessions: field(fc.constantFrom(true, false, "true", 1, null)),
    },
    { requiredKeys: [] },
  );
  const body: fc.Arbitrary<Body> = fc.oneof(
    { arbitrary: fc.constant<Body>({ kind: "none" }), weight: 3 },
    { arbitrary: checkoutBody.map((value): Body => ({ kind: "json", value })), weight: 4 },
    { arbitrary: adminBody.map((value): Body => ({ kind: "json", value })), weight: 3 },
    { arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value): Body => ({ kind: "json", value })), weight: 2 },
    { arbitrary: fc.string({ unit: "binary", maxLength: 200 }).map((text): Body => ({ kind: "text", text })), weight: 1 },
    { arbitrary: fc.integer({ min: 100, max: 20_000 }).map((n): Body => ({ kind: "text", text: "[".repeat(n) + "]".repeat(n) })), weight: 1 },
    { arbitrary: fc.constant<Body>({ kind: "text", text: JSON.stringify({ user: "x".repeat(17 * 1024) }) }), weight: 1 },
    { arbitrary: fc.constant<Body>({ kind: "text", text: `{"__proto__":{"admin":true},"constructor":{"prototype":{"seats":9}},"serial":"${a.serial}"}` }), weight: 1 },
    { arbitrary: fc.uint8Array({ maxLength: 120 }).map((bytes): Body => ({ kind: "bytes", bytes: [...bytes] })), weight: 1 },
  );
  const credential: fc.Arbitrary<Credential> = fc.oneof(
    fc.constant<Credential>({ kind: "none" }),
    fc.oneof(fc.string({ maxLength: 60 }), fc.constantFrom("Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "bearer  x", "Bearer null", "Token abc")).map((header): Credential => ({ kind: "raw", header })),
    fc.constant<Credential>({ kind: "vendor" }),
    fc.constantFrom<0 | 1>(0, 1).map((pool): Credential => ({ kind: "admin", pool })),
    fc.integer({ min: 0, max: fx.sessions.length - 1 }).map((session): Credential => ({ kind: "token", session })),
    fc.integer({ min: 0, max: fx.forgedTokens.length + fx.forgedAdminKeys.length + 1 }).map((which): Credential => ({ kind: "forged", which })),
  );
  const contentType = fc.oneof(
    { arbitrary: fc.constant<string | null>("application/json"), weight: 5 },
    {
      arbitrary: fc.constantFrom<string | null>(null, "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/merge-patch+json", "application/json; charset=latin1", "", "garbage/;;;", "APPLICATION/JSON"),
      weight: 2,
    },
  );
  const address = fc.oneof(fc.constant<string | null>(null), fc.ipV4(), fc.constant("203.0.113.9"), fc.string({ maxLength: 30 }));
  const extra = fc.oneof(
    { arbitrary: fc.constant<[string, string] | null>(null), weight: 5 },
    { arbitrary: fc.constantFrom<[string, string]>(["x-http-method-override", "DELETE"], ["transfer-encoding", "chunked"], ["accept", "text/html"], ["origin", "https://evil.example"], ["x-forwarded-for", "1.2.3.4"]), weight: 1 },
  );
  return fc
    .record({ template, method, credential, contentType, body, address, extra })
    .map(({ template: [m, path], method: override, ...rest }) => ({ method: override ?? m, path, ...rest }));
}

// ---- keeping authority away from requests that could legitimately write --------

/** The URL of a generated path on the server under drill, never another host. */
function urlOf(path: string, base: string): URL {
  const url = new URL(base + (path.startsWith("/") ? path : `/${path}`));
  if (url.origin !== new URL(base).origin) throw new Error(`generated path ${path} leaves ${base}`);
  return url;
}

function segmentsOf(path: string, base: string): { raw: string[]; decoded: string[] } {
  const raw = urlOf(path, base).pathname.split("/").filter((s, i, all) => i > 0 && !(s === "" && i === all.length - 1));
  const decoded = raw.map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  return { raw, decoded };
}

/** The body as the server would parse it when the content type is JSON, or undefined when it is not JSON. */
function parsedBody(req: FuzzRequest): { parses: boolean; value?: unknown } {
  if (req.body.kind === "none") return { parses: false };
  const text = req.body.kind === "json" ? JSON.stringify(req.body.value) : req.body.kind === "text" ? req.body.text : Buffer.from(req.body.bytes).toString("utf8");
  try {
    return { parses: true, value: JSON.parse(text) };
  } catch {
    return { parses: false };
  }
}

/** True when the server must refuse the body before acting: JSON content type, and JSON that breaks the schema or no JSON at all. */
function bodyIsRefused(req: FuzzRequest, schema: { safeParse(v: unknown): { success: boolean } }): boolean {
  if (!req.contentType || !JSON_CONTENT_TYPE.test(req.contentType) || req.body.kind === "none") return false;
  const body = parsedBody(req);
  return !body.parses || !schema.safeParse(body.value).success;
}

/** Whether this request, sent with the credential it carries, could rightly change state. */
function couldWrite(req: FuzzRequest, fx: Fixture, base: string): boolean {
  const m = req.method.toUpperCase();
  if (m === "GET" || m === "HEAD" || m === "OPTIONS") return false;
  const { raw, decoded } = segmentsOf(req.path, base);
  const is = (i: number, value: string) => raw[i]?.toLowerCase() === value || decoded[i]?.toLowerCase() === value;
  if (!is(0, "v1")) return false;
  const cred = req.credential;
  if (is(1, "sessions")) {
    if (raw.length === 2 && m === "POST") {
      const body = parsedBody(req);
      const real = fx.pools.map((p) => normalizeKey(p.productKey));
      const key = (body.value as { productKey?: unknown } | undefined)?.productKey;
      // A real key in a body that passes the schema would take a seat: only malformed bodies may carry it.
      return body.parses && typeof key === "string" && real.includes(normalizeKey(key)) && !bodyIsRefused(req, CheckoutRequest);
    }
    if (cred.kind !== "token") return false;
    const own = fx.sessions[cred.session]!.sessionId;
    return raw[2] === own || decoded[2] === own;
  }
  if (!is(1, "pools") || !PRIVILEGED_KINDS.has(cred.kind) || cred.kind === "token") return false;
  if (raw.length === 2) return m === "POST" && cred.kind === "vendor" && !bodyIsRefused(req, CreatePoolRequest);
  const poolId = parsePoolId(decoded[2] ?? "") ?? parsePoolId(raw[2] ?? "");
  const target = fx.pools.findIndex((p) => p.poolId === poolId);
  if (target < 0) return false; // no such pool: nothing to write
  if (cred.kind === "admin" && cred.pool !== target) return false;
  const rest = decoded.slice(3).map((s) => s.toLowerCase());
  if (rest.length === 0) return m === "PATCH" && !bodyIsRefused(req, UpdatePoolRequest);
  if (rest[0] === "seats" && rest.length === 2 && m === "DELETE") {
    const seats = fx.sessions.map((s) => s.seatId);
    return seats.includes(decoded[4]!) || seats.includes(raw[4]!);
  }
  if (rest[0] === "credentials" && rest.length === 1 && m === "POST") return !bodyIsRefused(req, RotateCredentialsRequest);
  if (rest[0] === "admin-keys" && rest.length === 1 && m === "POST") return true;
  return false;
}

function authorization(cred: Credential, fx: Fixture, vendorToken: string): string | undefined {
  switch (cred.kind) {
    case "none": return undefined;
    case "raw": return cred.header;
    case "vendor": return `Bearer ${vendorToken}`;
    case "admin": return `Bearer ${fx.pools[cred.pool].adminKey}`;
    case "token": return `Bearer ${fx.sessions[cred.session]!.token}`;
    case "forged": {
      const all = [...fx.forgedTokens, ...fx.forgedAdminKeys, `${vendorToken}x`, vendorToken.toUpperCase()];
      return `Bearer ${all[cred.which % all.length]}`;
    }
  }
}

// ---- the state that must not move -------------------------------------------------

/** Every event of a pool but the records of refused attempts, oldest last, all pages. */
async function keptEvents(target: Target, poolId: string): Promise<string[]> {
  const kept: string[] = [];
  let before: string | null = null;
  for (let page = 0; page < 1000; page++) {
    const res = await call(target, "GET", `/v1/pools/${poolId}/events?limit=500${before ? `&before=${before}` : ""}`, { token: target.vendorToken });
    const body = res.json as { events?: { id: string; type: string }[]; next?: string | null } | undefined;
    for (const e of body?.events ?? []) if (e.type !== "auth_failed" && e.type !== "denied") kept.push(`${e.id}:${e.type}`);
    before = body?.next ?? null;
    if (!before) break;
  }
  return kept;
}

/** What must not move. The audit log is read in full only when `withEvents`, as it grows with every refused attempt. */
async function snapshot(target: Target, fx: Fixture, withEvents: boolean): Promise<string> {
  const parts: unknown[] = [];
  for (const pool of fx.pools) {
    const details = await call(target, "GET", `/v1/pools/${pool.poolId}`, { token: target.vendorToken });
    const seats = await call(target, "GET", `/v1/pools/${pool.poolId}/seats`, { token: target.vendorToken });
    const admin = await call(target, "GET", `/v1/pools/${pool.poolId}`, { token: pool.adminKey });
    parts.push({ details: details.json, seats: seats.json, adminKeyWorks: admin.status === 200, events: withEvents ? await keptEvents(target, pool.poolId) : null });
  }
  const list = await call(target, "GET", "/v1/pools?limit=1000", { token: target.vendorToken });
  parts.push(((list.json as { pools?: { poolId: string }[] } | undefined)?.pools ?? []).map((p) => p.poolId).sort());
  return JSON.stringify(parts);
}

function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `…${a.slice(Math.max(0, i - 120), i + 120)}…\nnow\n…${b.slice(Math.max(0, i - 120), i + 120)}…`;
}

// ---- the drill ------------------------------------------------------------------------

export function describeRequest(req: FuzzRequest): string {
  const body = req.body.kind === "none" ? "" : req.body.kind === "json" ? JSON.stringify(req.body.value) : req.body.kind === "text" ? JSON.stringify(req.body.text.slice(0, 200)) : `<${req.body.bytes.length} bytes>`;
  const extra = req.extra ? ` ${req.extra[0]}=${JSON.stringify(req.extra[1])}` : "";
  return `${req.method} ${req.path} credential=${JSON.stringify(req.credential)} content-type=${JSON.stringify(req.contentType)} address=${JSON.stringify(req.address)}${extra} body=${body.slice(0, 300)}`;
}

export interface FuzzCounts extends Record<string, number> {
  runs: number;
  sent: number;
  unsendable: number;
  privileged: number;
  swapped: number;
  refused: number;
}

export async function fuzzDrill(target: Target, opts: FuzzOptions): Promise<DrillOutcome<FuzzCounts>> {
  const { lines, problems, say } = drillLog(opts.log);
  const checkEvery = opts.checkEvery ?? 50;
  say(`bad input: ${opts.runs} generated requests, seed ${opts.seed} (replay with --seed ${opts.seed})`);
  const fx = await setUp(target);
  const before = await snapshot(target, fx, true);
  const beforeLight = await snapshot(target, fx, false);
  const stats = { sent: 0, unsendable: 0, swapped: 0, privileged: 0, byStatus: new Map<number, number>() };
  const window: string[] = [];
  let runs = 0;

  const property = fc.asyncProperty(arbitraries(fx), async (generated) => {
    let req = generated;
    if (couldWrite(req, fx, target.url)) {
      // Keep the request, take its authority away.
      stats.swapped++;
      const isCheckout = req.path.split("?")[0]!.replace(/\/+$/, "").toLowerCase().endsWith("/v1/sessions");
      req = isCheckout && req.body.kind === "json" && typeof req.body.value === "object" && req.body.value !== null
        ? { ...req, body: { kind: "json", value: { ...(req.body.value as object), productKey: "00000-00000-00000-00000-00000" } } }
        : { ...req, credential: { kind: "forged", which: 0 } };
    }
    if (PRIVILEGED_KINDS.has(req.credential.kind)) stats.privileged++;
    const headers: Record<string, string> = {};
    const auth = authorization(req.credential, fx, target.vendorToken);
    if (auth !== undefined) headers.authorization = auth;
    if (req.contentType !== null) headers["content-type"] = req.contentType;
    if (req.address !== null) headers["cf-connecting-ip"] = req.address;
    if (req.extra) headers[req.extra[0]] = req.extra[1];
    const method = req.method.toUpperCase();
    const canHaveBody = method !== "GET" && method !== "HEAD";
    const body = !canHaveBody || req.body.kind === "none" ? undefined
      : req.body.kind === "json" ? JSON.stringify(req.body.value)
      : req.body.kind === "text" ? req.body.text
      : new Uint8Array(req.body.bytes);
    window.push(describeRequest(req));
    if (window.length > checkEvery) window.shift();
    runs++;
    let res: Response;
    let text: string;
    try {
      for (let attempt = 1; ; attempt++) {
        res = await fetch(urlOf(req.path, target.url), { method: req.method, headers, body });
        text = await res.text();
        if (!isDevReload(res.status, text) || attempt === 5) break;
        devReloads.retried++; // wrangler dev reloaded the Worker under us (see common.ts)
        await new Promise((r) => setTimeout(r, 250 * attempt));
      }
    } catch (e) {
      // A header or method Node's fetch will not put on the wire; nothing reached the server.
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      if ((e instanceof TypeError && !/fetch failed/.test(e.message)) || /^(UND_ERR_INVALID_ARG|UND_ERR_NOT_SUPPORTED|ERR_INVALID)/.test(cause?.code ?? "")) {
        stats.unsendable++;
        return true;
      }
      problems.push(`no answer to ${describeRequest(req)}: ${(e as Error).message} (${cause?.code ?? ""} ${cause?.message ?? ""})\n  after\n    ${window.slice(-4, -1).join("\n    ")}`);
      return false;
    }
    stats.sent++;
    stats.byStatus.set(res.status, (stats.byStatus.get(res.status) ?? 0) + 1);
    if (res.status >= 500) {
      problems.push(`${res.status} for ${describeRequest(req)}: ${text.slice(0, 300)}`);
      return false;
    }
    if (res.status >= 400 && method !== "HEAD") {
      const shape = errorShapeProblem(res.status, res.headers.get("content-type"), text);
      if (shape) {
        problems.push(`${shape} for ${describeRequest(req)}`);
        return false;
      }
    }
    if (runs % checkEvery === 0) {
      const now = await snapshot(target, fx, false);
      if (now !== beforeLight) {
        problems.push(`state changed within these ${window.length} requests:\n    ${window.join("\n    ")}\n  before\n${firstDifference(beforeLight, now)}`);
        return false;
      }
    }
    return true;
  });

  const details = await fc.check(property, { numRuns: opts.runs, seed: opts.seed, endOnFailure: true });
  if (details.failed && problems.length === 0) problems.push(`fast-check: ${details.errorInstance ? String(details.errorInstance) : "property failed"} (seed ${details.seed}, path ${details.counterexamplePath})`);
  if (details.failed) say(`  stopped at the first failure: replay with --seed ${details.seed} (fast-check path ${details.counterexamplePath})`);

  const after = await snapshot(target, fx, true);
  if (after !== before && !problems.some((p) => p.startsWith("state changed"))) problems.push(`state changed during the run:\n${firstDifference(before, after)}`);
  // The real credentials still do what they did: nothing was rotated or revoked.
  const [a] = fx.pools;
  const check = await call(target, "POST", "/v1/sessions", { body: { serial: a.serial, productKey: a.productKey, user: "after-fuzz", machine: "PC-after" } });
  if (check.status !== 201) problems.push(`after the fuzz, pool A's own serial and product key answer ${check.status}: ${check.text.slice(0, 200)}`);
  else await call(target, "DELETE", `/v1/sessions/${(check.json as { sessionId: string }).sessionId}`, { token: (check.json as { token: string }).token });

  const statuses = [...stats.byStatus].sort((x, y) => x[0] - y[0]).map(([s, n]) => `${s}×${n}`).join(" ");
  say(`  ${stats.sent} answered (${statuses}); ${stats.unsendable} not sendable by fetch; ${stats.privileged} carried real credentials, ${stats.swapped} had them swapped because the request could rightly write`);
  say(`bad input: ${problems.length === 0 ? "no 5xx, every error in the contract's shape, no state changed" : `${problems.length} PROBLEMS`}`);
  if (stats.sent === 0) problems.push("no generated request reached the server, so nothing was tested");
  const counts: FuzzCounts = { runs, sent: stats.sent, unsendable: stats.unsendable, privileged: stats.privileged, swapped: stats.swapped, refused: [...stats.byStatus].filter(([s]) => s >= 400).reduce((n, [, c]) => n + c, 0) };
  return { drill: "fuzz", lines, problems, counts };
}
