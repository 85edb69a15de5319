/**
 * Who is calling: middleware that knows the caller before a route validates its input,
 * so a stranger gets 401 whatever the body. The admin routes get `c.var.actor` (and a
 * pool-scoped route `c.var.poolId`), the session routes `c.var.claims`.
 */
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { digestsEqual } from "../../durable-objects/constant-time.js";
import { messages } from "../contract/messages.js";
import { refusedRole, type Actor, type Failure } from "../../durable-objects/outcome.js";
import type { AdminAction } from "../../durable-objects/decisions.js";
import { MIN_VENDOR_TOKEN_LENGTH, normalizeKey, parseAdminKey, parsePoolId, parseStaffToken, sha256Hex } from "./credentials.js";
import type { AppEnv, Env, PoolAdminEnv, SessionEnv, VendorEnv } from "./env.js";
import { ApiError, fail } from "./errors.js";
import { failedAuthentication } from "./failure-limiter.js";
import { auditCredentialFailure, getPool } from "./pool-operations.js";
import { directoryStub, poolStub } from "./pool-stub.js";
import { verifySessionToken } from "./tokens.js";

/** The credential of an `Authorization: Bearer …` header. */
export function bearer(header: string | undefined): string | undefined {
  const m = header ? /^Bearer\s+(\S.*)$/i.exec(header.trim()) : null;
  return m ? m[1]!.trim() : undefined;
}

let vendorDigest: { token: string; digest: Promise<string> } | undefined;

function vendorTokenDigest(env: Env): Promise<string> {
  if (vendorDigest?.token !== env.ADMIN_TOKEN) vendorDigest = { token: env.ADMIN_TOKEN, digest: sha256Hex(env.ADMIN_TOKEN) };
  return vendorDigest.digest;
}

let warnedShortToken = false;

/** A configured token shorter than the minimum matches nothing, so a guessable one never opens every pool. */
function vendorTokenUsable(env: Env): boolean {
  if (env.ADMIN_TOKEN && env.ADMIN_TOKEN.length >= MIN_VENDOR_TOKEN_LENGTH) return true;
  if (env.ADMIN_TOKEN && !warnedShortToken) {
    warnedShortToken = true;
    console.error(`ADMIN_TOKEN is shorter than ${MIN_VENDOR_TOKEN_LENGTH} characters: the vendor token is refused until it is replaced (see docs/deploy.md).`);
  }
  return false;
}

async function isVendorToken(env: Env, credential: string): Promise<boolean> {
  return vendorTokenUsable(env) && digestsEqual(await sha256Hex(credential), await vendorTokenDigest(env));
}

/** A signed-in caller: the vendor (a staff member, or the ADMIN_TOKEN), or the holder of one pool's admin key (its hash). */
export type Credential = Extract<Actor, { role: "vendor" }> | (Extract<Actor, { role: "admin"; keyHash: string }> & { poolId: string; adminId: string | null });

/** A staff member by their token: the person, or why not (unknown, disabled). */
async function staffByToken(env: Env, normalized: string): Promise<Extract<Actor, { role: "vendor" }> | "disabled" | null> {
  const staff = await directoryStub(env).staffByTokenHash(await sha256Hex(normalized));
  if (!staff) return null;
  if (staff.disabled) return "disabled";
  return { role: "vendor", staff: { staffId: staff.staffId, email: staff.email, role: staff.role } };
}

/**
 * The credential checked in full (an admin key by its pool, a staff token by the directory), or
 * null. Counts nothing: the caller decides what a failure costs. The dashboard signs in with it.
 */
export async function verifyCredential(env: Env, credential: string): Promise<Credential | null> {
  const adminKey = parseAdminKey(credential);
  if (adminKey) {
    const keyHash = await sha256Hex(adminKey.normalized);
    const out = await poolStub(env, adminKey.poolId).identify({ role: "admin", keyHash });
    return out.ok ? { role: "admin", poolId: adminKey.poolId, keyHash, adminId: out.adminId } : null;
  }
  const staffToken = parseStaffToken(credential);
  if (staffToken) {
    const staff = await staffByToken(env, staffToken);
    if (staff) return staff === "disabled" ? null : staff;
  }
  return (await isVendorToken(env, credential)) ? { role: "vendor" } : null;
}

/**
 * The actor for an admin request. The vendor token reaches every pool; a pool admin key
 * only the pool it names (`poolId`, normalised; undefined for a vendor-only route), and
 * its pool checks its hash here, before the route reads the body.
 */
async function adminActor(env: Env, request: Request, poolId: string | undefined): Promise<Actor> {
  const credential = bearer(request.headers.get("authorization") ?? undefined);
  if (!credential) throw new ApiError("unauthorized", messages.noAdminCredential);
  const adminKey = parseAdminKey(credential);
  if (adminKey) {
    if (poolId === undefined) throw new ApiError("forbidden", messages.adminKeyNotEnough, { role: "admin" });
    if (adminKey.poolId !== poolId) throw new ApiError("forbidden", messages.adminKeyOfAnotherPool, { role: "admin" });
    const actor: Actor = { role: "admin", keyHash: await sha256Hex(adminKey.normalized) };
    const out = await getPool(env, actor, adminKey.poolId);
    if (out.ok) return actor;
    // a key for a pool that does not exist is a wrong key like any other, not a 404 the limiter never counts
    if (out.code === "unauthorized" || out.code === "not_found") {
      return failedAuthentication(env, request, "unauthorized", messages.badAdminCredential, auditCredentialFailure(env, adminKey.poolId, "bad_admin_key"));
    }
    return fail(out);
  }
  const staffToken = parseStaffToken(credential);
  if (staffToken) {
    const staff = await staffByToken(env, staffToken);
    if (staff === "disabled") return failedAuthentication(env, request, "unauthorized", messages.staffDisabled);
    if (staff) return staff;
  }
  if (await isVendorToken(env, credential)) return { role: "vendor" };
  // Over the limit, a failure is refused before any pool writes a word about it.
  const targetPool = poolId === undefined ? null : parsePoolId(poolId);
  return failedAuthentication(
    env, request, "unauthorized", messages.badAdminCredential, targetPool === null ? undefined : auditCredentialFailure(env, targetPool, "bad_vendor_token"),
  );
}

/** A pool object's refusal as the contract's error; a wrong admin key also counts against the client address. */
export async function poolFailure(env: Env, request: Request, f: Failure): Promise<never> {
  if (f.code === "unauthorized") return failedAuthentication(env, request, f.code, f.message);
  return fail(f);
}

/** The same, from a route's context. */
export function refuse<E extends AppEnv>(c: Context<E>, f: Failure): Promise<never> {
  return poolFailure(c.env, c.req.raw, f);
}

/** Vendor-only admin routes: the vendor token, nothing else. */
export const vendorAuth = createMiddleware<VendorEnv>(async (c, next) => {
  c.set("actor", await adminActor(c.env, c.req.raw, undefined));
  await next();
});

/**
 * A vendor-wide action (create pools, list them, manage staff) checked against the role
 * matrix, after `vendorAuth` and before the body is read; actions on one pool are checked
 * by the pool object against the same matrix.
 */
export function allow(action: AdminAction, opts: { orTheStaffMemberIn?: string } = {}) {
  return createMiddleware<VendorEnv>(async (c, next) => {
    const actor = c.var.actor;
    // a staff member may do this to their own record (a new token for themselves)
    const self = opts.orTheStaffMemberIn !== undefined && actor.role === "vendor" && actor.staff !== undefined
      && actor.staff.staffId === c.req.param(opts.orTheStaffMemberIn);
    const refused = self ? undefined : refusedRole(actor, action);
    if (refused) fail(refused);
    await next();
  });
}

/** Admin routes on `/v1/pools/{poolId}…`: the vendor token, or that pool's admin key. */
export const poolAdminAuth = createMiddleware<PoolAdminEnv>(async (c, next) => {
  const raw = c.req.param("poolId") ?? "";
  c.set("actor", await adminActor(c.env, c.req.raw, normalizeKey(raw)));
  const poolId = parsePoolId(raw);
  if (!poolId) throw new ApiError("not_found", messages.noSuchPool);
  c.set("poolId", poolId);
  await next();
});

/** The token a browser sends as the subprotocols `seatkeeper.v1, bearer.<token>`, where it cannot set headers. */
export function subprotocolToken(header: string | undefined): string | undefined {
  const offered = (header ?? "").split(",").map((p) => p.trim());
  if (!offered.includes("seatkeeper.v1")) return undefined;
  return offered.find((p) => p.startsWith("bearer."))?.slice("bearer.".length) || undefined;
}

/** Client routes on `/v1/sessions/{sessionId}…`: the session's own token. */
export const sessionAuth = createSessionAuth((c) => bearer(c.req.header("authorization")));

/** The live channel: the session's token as a header, or as a subprotocol. */
export const liveAuth = createSessionAuth(
  (c) => bearer(c.req.header("authorization")) ?? subprotocolToken(c.req.header("sec-websocket-protocol")),
);

function createSessionAuth(tokenOf: (c: Context<SessionEnv>) => string | undefined) {
  return createMiddleware<SessionEnv>(async (c, next) => {
    const token = tokenOf(c);
    const sessionId = c.req.param("sessionId");
    const claims = token && sessionId ? await verifySessionToken(c.env, token, sessionId) : null;
    if (!claims) throw new ApiError("invalid_token", messages.badSessionToken);
    c.set("claims", claims);
    await next();
  });
}
