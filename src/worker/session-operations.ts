/**
 * One function per client operation on sessions, as pool-operations.ts is for admins:
 * the Worker hashes the product key and signs the token, the pool object decides.
 */
import type { Outcome } from "../../durable-objects/outcome.js";
import { failure } from "../../durable-objects/outcome.js";
import type { CheckoutRequest, CheckoutResponse, HeartbeatResponse, ReleaseResponse, SessionStatus } from "../contract/schemas.js";
import type { SessionTokenClaims } from "../contract/token.js";
import { normalizeKey, parseSerial, sha256Hex } from "./credentials.js";
import type { Env } from "./env.js";
import { poolStub } from "./pool-stub.js";
import { signSessionToken } from "./tokens.js";

const BAD_CREDENTIALS = "The serial number or product key is not valid. Check both with your IT department.";

/** Takes or joins a seat; `created` is false for a repeated `instance`. */
export async function checkout(env: Env, request: CheckoutRequest): Promise<Outcome<{ created: boolean; answer: CheckoutResponse }>> {
  const serial = parseSerial(request.serial);
  if (!serial) return failure("invalid_credentials", BAD_CREDENTIALS);
  const out = await poolStub(env, serial.poolId).checkout({
    generation: serial.generation,
    keyHash: await sha256Hex(normalizeKey(request.productKey)),
    user: request.user,
    machine: request.machine,
    terminalSession: request.terminalSession,
    clientVersion: request.clientVersion,
    instance: request.instance,
  });
  if (!out.ok) return out;
  const token = await signSessionToken(env, {
    sub: out.sessionId,
    pool: out.pool.poolId,
    seat: out.seatId,
    user: out.user,
    machine: out.machine,
    ...(out.terminalSession === null ? {} : { tsn: out.terminalSession }),
  });
  return { ok: true, created: out.created, answer: { sessionId: out.sessionId, token, seatId: out.seatId, seatShared: out.seatShared, pool: out.pool } };
}

/** The session named by a verified token: its pool, its id and its seat. */
type TokenSession = Pick<SessionTokenClaims, "pool" | "sub" | "seat">;

export async function release(env: Env, s: TokenSession): Promise<Outcome<{ answer: ReleaseResponse }>> {
  const out = await poolStub(env, s.pool).release(s.sub, s.seat);
  if (!out.ok) return out;
  const { ok: _ok, ...answer } = out;
  return { ok: true, answer };
}

export async function heartbeat(env: Env, s: TokenSession): Promise<Outcome<{ answer: HeartbeatResponse }>> {
  const out = await poolStub(env, s.pool).heartbeat(s.sub, s.seat);
  return out.ok ? { ok: true, answer: { active: true, pool: out.pool } } : out;
}

export async function sessionStatus(env: Env, s: TokenSession): Promise<Outcome<{ answer: SessionStatus }>> {
  const out = await poolStub(env, s.pool).status(s.sub, s.seat);
  return out.ok ? { ok: true, answer: out.session } : out;
}
