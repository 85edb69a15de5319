/**
 * The brute-force limit on failed authentication, per client address: every failed
 * credential (product key, vendor token, admin key, dashboard sign-in) is counted here,
 * and a request with valid credentials never comes here, so it is never refused.
 */
import type { ErrorCode } from "../contract/errors.js";
import { messages } from "../contract/messages.js";
import type { Env } from "./env.js";
import { ApiError } from "./errors.js";

/** Retry-After for a client address that failed too often (the limiter's period). */
const RETRY_AFTER_SECONDS = 60;

/** The caller's address as Cloudflare saw it. */
export function clientAddress(request: Request): string {
  return request.headers.get("cf-connecting-ip") ?? "unknown";
}

/** Counts one failure against the address; true while the address is within the limit. */
async function countFailure(env: Env, request: Request): Promise<boolean> {
  const { success } = await env.AUTH_FAILURES.limit({ key: clientAddress(request) });
  return success;
}

/** The error for an address over the limit. */
function rateLimited(): ApiError {
  return new ApiError(
    "rate_limited",
    messages.rateLimited(RETRY_AFTER_SECONDS),
    { retryAfterSeconds: RETRY_AFTER_SECONDS },
    { "Retry-After": String(RETRY_AFTER_SECONDS) },
  );
}

/**
 * Counts a failed authentication and throws: 429 once the address is over the limit,
 * else the failure itself. `record` writes the failure to a pool's audit log, and runs
 * only while the address is within the limit, so a flood writes nothing.
 */
export async function failedAuthentication(
  env: Env, request: Request, code: ErrorCode, message: string, record?: (address: string) => Promise<void>,
): Promise<never> {
  if (!(await countFailure(env, request))) throw rateLimited();
  if (record) await record(clientAddress(request));
  throw new ApiError(code, message);
}
