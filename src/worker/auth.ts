/** Who is calling the admin API, and the brute-force limit on failed authentication. */
import type { Context } from "hono";
import { digestsEqual } from "../../durable-objects/decisions.js";
import type { Actor } from "../../durable-objects/outcome.js";
import type { ErrorCode } from "../contract/errors.js";
import { parseAdminKey, parsePoolId, sha256Hex } from "./credentials.js";
import { poolStub } from "./pool-stub.js";
import type { AppEnv, Env } from "./env.js";
import { ApiError } from "./errors.js";

/** Retry-After for a client address that failed too often (the limiter's period). */
const RETRY_AFTER_SECONDS = 60;

export function clientAddress(c: Context<AppEnv>): string {
  return c.req.header("cf-connecting-ip") ?? "unknown";
}

/**
 * Counts a failed authentication against the client address and throws: 429 once the
 * address is over the limit, else the failure itself. Successful requests never come here.
 */
export async function failedAuthentication(c: Context<AppEnv>, code: ErrorCode, message: string): Promise<never> {
  const { success } = await c.env.AUTH_FAILURES.limit({ key: clientAddress(c) });
  if (!success) {
    throw new ApiError(
      "rate_limited",
      `Too many failed attempts from this address. Wait ${RETRY_AFTER_SECONDS} seconds, then check the credentials before retrying.`,
      { retryAfterSeconds: RETRY_AFTER_SECONDS },
      { "Retry-After": String(RETRY_AFTER_SECONDS) },
    );
  }
  throw new ApiError(code, message);
}

export function bearer(c: Context<AppEnv>): string | undefined {
  const header = c.req.header("authorization");
  const m = header ? /^Bearer\s+(\S.*)$/i.exec(header.trim()) : null;
  return m ? m[1]!.trim() : undefined;
}

let vendorDigest: { token: string; digest: Promise<string> } | undefined;

function vendorTokenDigest(env: Env): Promise<string> {
  if (vendorDigest?.token !== env.ADMIN_TOKEN) vendorDigest = { token: env.ADMIN_TOKEN, digest: sha256Hex(env.ADMIN_TOKEN) };
  return vendorDigest.digest;
}

/**
 * The vendor token reaches every pool; a pool admin key reaches only the pool it names
 * (`poolId`, already normalised). `poolId` undefined means a vendor-only endpoint.
 * A pool admin key is checked against its hash by the pool object itself.
 */
export async function adminActor(c: Context<AppEnv>, poolId: string | undefined): Promise<Actor> {
  const credential = bearer(c);
  if (!credential) {
    throw new ApiError("unauthorized", "Send the vendor token or the pool's admin key as Authorization: Bearer <credential>.");
  }
  const adminKey = parseAdminKey(credential);
  if (adminKey) {
    if (poolId === undefined) throw new ApiError("forbidden", "A pool admin key cannot do this; it needs the vendor token.");
    if (adminKey.poolId !== poolId) throw new ApiError("forbidden", "This admin key belongs to another pool.");
    return { role: "admin", keyHash: await sha256Hex(adminKey.normalized) };
  }
  if (c.env.ADMIN_TOKEN && digestsEqual(await sha256Hex(credential), await vendorTokenDigest(c.env))) return { role: "vendor" };
  const targetPool = poolId === undefined ? null : parsePoolId(poolId);
  if (targetPool) await poolStub(c.env, targetPool).recordAuthFailure("bad_vendor_token");
  return failedAuthentication(c, "unauthorized", "The vendor token or admin key is not valid.");
}
