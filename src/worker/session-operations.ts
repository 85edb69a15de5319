/**
 * One function per client operation on sessions, as pool-operations.ts is for admins:
 * the Worker hashes the product key and signs the token, the pool object decides.
 */
import { LIVE_HEADERS, LIVE_PROTOCOL, TICKET_LIVE_PATH } from "../../durable-objects/live-channel.js";
import { messages } from "../contract/messages.js";
import type { Outcome } from "../../durable-objects/outcome.js";
import { failure } from "../../durable-objects/outcome.js";
import type {
  BorrowResponse, CheckoutRequest, CheckoutResponse, HeartbeatResponse, PoolSummary, QueuedResponse, ReleaseResponse, SessionStatus, TicketResponse,
} from "../contract/schemas.js";
import type { SessionTokenClaims } from "../contract/token.js";
import { normalizeKey, parseSerial, sha256Hex } from "./credentials.js";
import type { Env } from "./env.js";
import { clientAddress, failedAuthentication } from "./failure-limiter.js";
import { poolStub } from "./pool-stub.js";
import { signGrantToken, signLease, signTicketToken } from "./tokens.js";

/**
 * Takes or joins a seat; `created` is false for a repeated `instance`. A wrong serial or
 * product key throws, through the failure limiter, which lets the pool record it only
 * while the address is within the limit.
 */
export async function checkout(
  env: Env, http: Request, request: CheckoutRequest,
): Promise<Outcome<{ created: boolean; answer: CheckoutResponse } | { queued: true; answer: QueuedResponse }>> {
  const serial = parseSerial(request.serial);
  if (!serial) return failedAuthentication(env, http, "invalid_credentials", messages.badCredentials);
  const stub = poolStub(env, serial.poolId);
  const address = clientAddress(http);
  const out = await stub.checkout({
    generation: serial.generation,
    keyHash: await sha256Hex(normalizeKey(request.productKey)),
    user: request.user,
    machine: request.machine,
    terminalSession: request.terminalSession,
    clientVersion: request.clientVersion,
    instance: request.instance,
    machineId: request.machineId,
    group: request.group,
    wait: request.wait,
    address,
  });
  if (!out.ok && out.code === "invalid_credentials") {
    const who = { user: request.user, machine: request.machine, terminalSession: request.terminalSession ?? null };
    return failedAuthentication(env, http, out.code, out.message, () =>
      stub.recordAuthFailure({ reason: "bad_product_key", address, generation: serial.generation, who }),
    );
  }
  if (!out.ok) return out;
  if ("queued" in out) {
    const token = await signTicketToken(env, { sub: out.ticketId, pool: out.pool.poolId });
    return { ok: true, queued: true, answer: { ticketId: out.ticketId, token, position: out.position, waiting: out.waiting, pool: out.pool } };
  }
  const token = await signGrantToken(env, out);
  return { ok: true, created: out.created, answer: {
    sessionId: out.sessionId, token, seatId: out.seatId, seatShared: out.seatShared, pool: out.pool,
    ...(out.overdraft ? { overdraft: true } : {}), ...(out.warnings ? { warnings: out.warnings } : {}),
  } };
}

/** The session named by a verified token: its pool, its id and its seat. */
type TokenSession = Pick<SessionTokenClaims, "pool" | "sub" | "seat">;

export async function release(env: Env, s: TokenSession): Promise<Outcome<{ answer: ReleaseResponse }>> {
  const out = await poolStub(env, s.pool).release(s.sub, s.seat);
  if (!out.ok) return out;
  const { ok: _ok, ...answer } = out;
  return { ok: true, answer };
}

/** Borrows the session's seat for `days`: the pool object decides, the Worker signs the lease. */
export async function borrow(env: Env, s: TokenSession, days: number): Promise<Outcome<{ answer: BorrowResponse }>> {
  const now = Date.now();
  const out = await poolStub(env, s.pool).borrow(s.sub, s.seat, days);
  if (!out.ok) return out;
  const lease = await signLease(env, {
    sub: s.sub,
    pool: out.poolId,
    seat: out.seatId,
    user: out.user,
    machine: out.machine,
    ...(out.machineId === null ? {} : { machineId: out.machineId }),
    nbf: Math.floor(now / 1000),
    exp: out.until / 1000,
  });
  return { ok: true, answer: { lease, until: new Date(out.until).toISOString(), seatId: out.seatId } };
}

/** `idleSince` (ISO, null, or absent: nothing said) is what the client says of its user's idleness. */
export async function heartbeat(env: Env, s: TokenSession, idleSince?: string | null): Promise<Outcome<{ answer: HeartbeatResponse }>> {
  const out = await poolStub(env, s.pool).heartbeat(s.sub, s.seat, idleSince === undefined || idleSince === null ? idleSince : Date.parse(idleSince));
  return out.ok ? { ok: true, answer: { active: true, pool: out.pool } } : out;
}

export async function sessionStatus(env: Env, s: TokenSession): Promise<Outcome<{ answer: SessionStatus }>> {
  const out = await poolStub(env, s.pool).status(s.sub, s.seat);
  return out.ok ? { ok: true, answer: out.session } : out;
}

/**
 * Opens the session's live channel: the pool object accepts the WebSocket (101), or
 * answers the session's end (410) before any upgrade. The Worker has verified the token.
 */
export async function openLive(env: Env, s: TokenSession, request: Request): Promise<Response> {
  const headers = new Headers({ Upgrade: "websocket", [LIVE_HEADERS.session]: s.sub, [LIVE_HEADERS.seat]: s.seat });
  if ((request.headers.get("sec-websocket-protocol") ?? "").includes(LIVE_PROTOCOL)) headers.set(LIVE_HEADERS.protocol, "1");
  return poolStub(env, s.pool).fetch(new Request("https://pool.invalid/live", { headers }));
}

// ---- waiting for a seat ------------------------------------------------------

/** The ticket's state; once granted, the session's token is signed here as a checkout's is. */
export async function ticketState(env: Env, t: { sub: string; pool: string }): Promise<Outcome<{ answer: TicketResponse }>> {
  const out = await poolStub(env, t.pool).ticket(t.sub);
  if (!out.ok) return out;
  const v = out.ticket;
  if (v.state === "waiting") return { ok: true, answer: { ticketId: v.ticketId, state: v.state, position: v.position, waiting: v.waiting } };
  if (v.state !== "granted") return { ok: true, answer: { ticketId: v.ticketId, state: v.state } };
  const token = await signGrantToken(env, v);
  return { ok: true, answer: { ticketId: v.ticketId, state: "granted", sessionId: v.sessionId, token, seatId: v.seatId, seatShared: v.seatShared, pool: v.pool } };
}

/** Opens the ticket's live channel: the pool object accepts it (101) or answers an unknown ticket (404); the Worker has verified the token. */
export async function openTicketLive(env: Env, t: { sub: string; pool: string }, request: Request): Promise<Response> {
  const headers = new Headers({ Upgrade: "websocket", [LIVE_HEADERS.ticket]: t.sub });
  if ((request.headers.get("sec-websocket-protocol") ?? "").includes(LIVE_PROTOCOL)) headers.set(LIVE_HEADERS.protocol, "1");
  return poolStub(env, t.pool).fetch(new Request(`https://pool.invalid${TICKET_LIVE_PATH}`, { headers }));
}

export async function leaveQueue(env: Env, t: { sub: string; pool: string }): Promise<Outcome<{ left: boolean }>> {
  return poolStub(env, t.pool).leaveQueue(t.sub);
}

/** Frees a seat of the caller's own user held elsewhere; a wrong serial or product key counts like a checkout's. */
export async function selfRelease(env: Env, http: Request, seatId: string, request: { serial: string; productKey: string; user: string; machine: string }): Promise<Outcome<{ pool: PoolSummary }>> {
  const serial = parseSerial(request.serial);
  if (!serial) return failedAuthentication(env, http, "invalid_credentials", messages.badCredentials);
  const stub = poolStub(env, serial.poolId);
  const out = await stub.selfRelease(
    { generation: serial.generation, keyHash: await sha256Hex(normalizeKey(request.productKey)), user: request.user, machine: request.machine },
    seatId,
  );
  if (!out.ok && out.code === "invalid_credentials") {
    const who = { user: request.user, machine: request.machine, terminalSession: null };
    return failedAuthentication(env, http, out.code, out.message, () =>
      stub.recordAuthFailure({ reason: "bad_product_key", address: clientAddress(http), generation: serial.generation, who }),
    );
  }
  return out.ok ? { ok: true, pool: out.pool } : out;
}
