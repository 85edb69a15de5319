/** What every drill shares: talking to the server, reading its records, a seeded random source, the outcome. */
import { identityKey } from "../../durable-objects/decisions.js";
import { errorStatus } from "../../src/contract/errors.js";

/** The server under drill: where it is and the vendor token that reads its records. */
export interface Target {
  url: string;
  vendorToken: string;
}

/** What a drill did and found; any problem means something was lost or broken. */
export interface DrillOutcome<Counts extends Record<string, number> = Record<string, number>> {
  drill: string;
  lines: string[];
  problems: string[];
  /** How much work it really did, by name (requests sent, answered, in flight…): a drill that did nothing proves nothing. */
  counts: Counts;
}

/** What a drill says (kept for its outcome, and passed on to `log` as it goes) and the problems it finds. */
export function drillLog(log: ((line: string) => void) | undefined) {
  const lines: string[] = [];
  const problems: string[] = [];
  const say = (line: string) => {
    lines.push(line);
    log?.(line);
  };
  return { lines, problems, say };
}

export interface Answer {
  status: number;
  /** The parsed JSON body, or undefined when the body is not JSON. */
  json: unknown;
  text: string;
  headers: Headers;
}

export interface CallOptions {
  body?: unknown;
  token?: string;
  headers?: Record<string, string>;
  /** CF-Connecting-IP, which the local server honours as the client address. */
  address?: string;
  signal?: AbortSignal;
}

/**
 * `npm start` runs `wrangler dev`, which reloads the Worker when a source file changes
 * and answers the requests it cut off with this 503. Every request the drills send is
 * safe to repeat (checkouts carry an `instance`, releases and reads are idempotent), so
 * they are sent again, as a client would, and counted.
 */
export const devReloads = { retried: 0 };
const DEV_RELOAD = /restarted mid-request/;

export function isDevReload(status: number, text: string): boolean {
  return status === 503 && DEV_RELOAD.test(text);
}

export async function call(target: Target, method: string, path: string, opts: CallOptions = {}): Promise<Answer> {
  for (let attempt = 1; ; attempt++) {
    const answer = await callOnce(target, method, path, opts);
    if (!isDevReload(answer.status, answer.text) || attempt === 5) return answer;
    devReloads.retried++;
    await new Promise((r) => setTimeout(r, 250 * attempt));
  }
}

async function callOnce(target: Target, method: string, path: string, opts: CallOptions): Promise<Answer> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.address) headers["cf-connecting-ip"] = opts.address;
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers["content-type"] = "application/json";
  }
  const res = await fetch(`${target.url}${path}`, { method, headers, body, signal: opts.signal });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, headers: res.headers };
}

/** Seeded, so a drill's run can be repeated exactly (mulberry32). */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffle<T>(items: T[], rand: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export interface CreatedPool {
  poolId: string;
  serial: string;
  productKey: string;
  adminKey: string;
  seats: number;
}

export async function createPool(target: Target, customer: string, seats: number): Promise<CreatedPool> {
  const res = await call(target, "POST", "/v1/pools", { token: target.vendorToken, body: { customer, seats } });
  if (res.status !== 201) throw new Error(`creating a pool answered ${res.status}: ${res.text.slice(0, 300)}`);
  const p = res.json as CreatedPool;
  return { poolId: p.poolId, serial: p.serial, productKey: p.productKey, adminKey: p.adminKey, seats };
}

export interface ListedSeat {
  seatId: string;
  user: string;
  machine: string;
  terminalSession: string | null;
  since: string;
  lastSeenAt: string;
  sessions: { sessionId: string; clientVersion: string | null; startedAt: string; lastSeenAt: string }[];
}

/** The server's own records of a pool: its settings and counter, and who holds its seats. */
export interface PoolRecords {
  seats: number;
  inUse: number;
  listed: ListedSeat[];
}

export async function readRecords(target: Target, poolId: string): Promise<PoolRecords> {
  const pool = await call(target, "GET", `/v1/pools/${poolId}`, { token: target.vendorToken });
  if (pool.status !== 200) throw new Error(`reading pool ${poolId} answered ${pool.status}: ${pool.text.slice(0, 200)}`);
  // Every page: a pool of more than one page's seats is read to the end.
  const listed: ListedSeat[] = [];
  let cursor: string | null = null;
  do {
    const query: string = `?limit=500${cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`}`;
    const seats = await call(target, "GET", `/v1/pools/${poolId}/seats${query}`, { token: target.vendorToken });
    if (seats.status !== 200) throw new Error(`reading the seats of pool ${poolId} answered ${seats.status}: ${seats.text.slice(0, 200)}`);
    const page = seats.json as { seats: ListedSeat[]; next?: string | null };
    listed.push(...page.seats);
    cursor = page.next ?? null;
  } while (cursor !== null);
  const p = pool.json as { seats: number; inUse: number };
  return { seats: p.seats, inUse: p.inUse, listed };
}

/**
 * The invariants that hold for any pool at rest, from its records alone: the counter
 * agrees with the seats listed, no more seats than the pool has, no seat, identity or
 * session listed twice. Returns what is wrong, if anything.
 */
export function recordProblems(label: string, r: PoolRecords): string[] {
  const problems: string[] = [];
  if (r.inUse > r.seats) problems.push(`${label}: ${r.inUse} seats in use in a pool of ${r.seats}`);
  if (r.listed.length !== r.inUse) problems.push(`${label}: inUse says ${r.inUse} but ${r.listed.length} seats are listed`);
  const seatIds = new Set<string>();
  const identities = new Set<string>();
  const sessions = new Set<string>();
  for (const seat of r.listed) {
    if (seatIds.has(seat.seatId)) problems.push(`${label}: seat ${seat.seatId} listed twice`);
    seatIds.add(seat.seatId);
    const identity = identityKey(seat.user, seat.machine, seat.terminalSession);
    if (identities.has(identity)) problems.push(`${label}: identity ${identity} holds two seats`);
    identities.add(identity);
    if (seat.sessions.length === 0) problems.push(`${label}: seat ${seat.seatId} is held by no session`);
    for (const s of seat.sessions) {
      if (sessions.has(s.sessionId)) problems.push(`${label}: session ${s.sessionId} listed twice`);
      sessions.add(s.sessionId);
    }
  }
  return problems;
}

/** Session id → seat id, as the records list them. */
export function listedSessions(r: PoolRecords): Map<string, string> {
  const out = new Map<string, string>();
  for (const seat of r.listed) for (const s of seat.sessions) out.set(s.sessionId, seat.seatId);
  return out;
}

export function count<T>(items: T[], key: (t: T) => string): string {
  const m = new Map<string, number>();
  for (const i of items) m.set(key(i), (m.get(key(i)) ?? 0) + 1);
  return [...m].sort().map(([k, n]) => `${k}×${n}`).join(" ");
}

/** What is wrong with an error answer's shape, or undefined when it is the contract's. */
export function errorShapeProblem(status: number, contentType: string | null, text: string): string | undefined {
  if (!contentType || !/^application\/json/i.test(contentType)) return `error ${status} with content-type ${contentType}`;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return `error ${status} whose body is not JSON: ${text.slice(0, 200)}`;
  }
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error;
  if (!error || typeof error !== "object") return `error ${status} without an "error" object: ${text.slice(0, 200)}`;
  const keys = Object.keys(body as object);
  if (keys.length !== 1) return `error ${status} with extra top-level fields ${keys.join(", ")}`;
  if (typeof error.code !== "string" || !(error.code in errorStatus)) return `error ${status} with unknown code ${JSON.stringify(error.code)}`;
  if (errorStatus[error.code as keyof typeof errorStatus] !== status) return `error code ${error.code} sent with ${status}, not ${errorStatus[error.code as keyof typeof errorStatus]}`;
  if (typeof error.message !== "string" || error.message.length === 0) return `error ${status} without a message`;
  if (error.details !== undefined && (typeof error.details !== "object" || error.details === null || Array.isArray(error.details))) return `error ${status} whose details are not an object`;
  return undefined;
}
