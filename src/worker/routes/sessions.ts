/** The client API: check a seat out, release it, heartbeat, status. */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import {
  CheckoutRequest, CheckoutResponse, HeartbeatResponse, ReleaseResponse, SessionPath, SessionStatus,
} from "../../contract/schemas.js";
import { bearer, failedAuthentication } from "../auth.js";
import { normalizeKey, parseSerial, sha256Hex } from "../credentials.js";
import type { AppEnv } from "../env.js";
import { ApiError, fail } from "../errors.js";
import { bearerSecurity, errorResponses, jsonBody, jsonContent } from "../openapi.js";
import { poolStub } from "../pool-stub.js";
import { signSessionToken, verifySessionToken, type SessionClaims } from "../tokens.js";

const BAD_CREDENTIALS = "The serial number or product key is not valid. Check both with your IT department.";

const checkoutRoute = createRoute({
  method: "post",
  path: "/v1/sessions",
  tags: ["Client"],
  summary: "Check a seat out",
  description: "Takes a seat for this identity, or joins the seat it already holds. Repeating a request with the same `instance` returns the session created for it (200).",
  request: { body: jsonBody(CheckoutRequest) },
  responses: {
    201: jsonContent(CheckoutResponse, "A session was created"),
    200: jsonContent(CheckoutResponse, "The session already created for this `instance`"),
    ...errorResponses("invalid_credentials", "credentials_revoked", "pool_full", "client_version_unsupported", "rate_limited"),
  },
});

const sessionAuth = { params: SessionPath };

const releaseRoute = createRoute({
  method: "delete",
  path: "/v1/sessions/{sessionId}",
  tags: ["Client"],
  summary: "Release a session",
  description: "Ends the session; its seat returns to the pool with the identity's last session. Releasing again is harmless.",
  security: bearerSecurity,
  request: sessionAuth,
  responses: { 200: jsonContent(ReleaseResponse, "Released, or already ended with the reason"), ...errorResponses("invalid_token") },
});

const heartbeatRoute = createRoute({
  method: "post",
  path: "/v1/sessions/{sessionId}/heartbeat",
  tags: ["Client"],
  summary: "Mark the session as seen",
  security: bearerSecurity,
  request: sessionAuth,
  responses: { 200: jsonContent(HeartbeatResponse, "The session is active"), ...errorResponses("invalid_token", "session_ended") },
});

const statusRoute = createRoute({
  method: "get",
  path: "/v1/sessions/{sessionId}",
  tags: ["Client"],
  summary: "The session and its seat",
  security: bearerSecurity,
  request: sessionAuth,
  responses: { 200: jsonContent(SessionStatus, "The session"), ...errorResponses("invalid_token") },
});

/** The verified claims of the bearer token for this session, or `invalid_token`. */
async function sessionClaims(c: Context<AppEnv>, sessionId: string): Promise<SessionClaims> {
  const token = bearer(c);
  const claims = token ? await verifySessionToken(c.env, token, sessionId) : null;
  if (!claims) throw new ApiError("invalid_token", "Send the session's token as Authorization: Bearer <token>; this one is missing, malformed or not for this session.");
  return claims;
}

export function registerSessionRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(checkoutRoute, async (c) => {
    const body = c.req.valid("json");
    const serial = parseSerial(body.serial);
    if (!serial) return failedAuthentication(c, "invalid_credentials", BAD_CREDENTIALS);
    const keyHash = await sha256Hex(normalizeKey(body.productKey));
    const out = await poolStub(c.env, serial.poolId).checkout({
      generation: serial.generation,
      keyHash,
      user: body.user,
      machine: body.machine,
      terminalSession: body.terminalSession,
      clientVersion: body.clientVersion,
      instance: body.instance,
    });
    if (!out.ok) {
      if (out.code === "invalid_credentials") return failedAuthentication(c, out.code, out.message);
      return fail(out);
    }
    const token = await signSessionToken(c.env, {
      sub: out.sessionId,
      pool: out.pool.poolId,
      seat: out.seatId,
      user: out.user,
      machine: out.machine,
      ...(out.terminalSession === null ? {} : { tsn: out.terminalSession }),
    });
    const answer = { sessionId: out.sessionId, token, seatId: out.seatId, seatShared: out.seatShared, pool: out.pool };
    return out.created ? c.json(answer, 201) : c.json(answer, 200);
  });

  app.openapi(releaseRoute, async (c) => {
    const { sessionId } = c.req.valid("param");
    const claims = await sessionClaims(c, sessionId);
    const out = await poolStub(c.env, claims.pool).release(sessionId, claims.seat);
    if (!out.ok) return fail(out);
    const { ok: _ok, ...answer } = out;
    return c.json(answer, 200);
  });

  app.openapi(heartbeatRoute, async (c) => {
    const { sessionId } = c.req.valid("param");
    const claims = await sessionClaims(c, sessionId);
    const out = await poolStub(c.env, claims.pool).heartbeat(sessionId, claims.seat);
    if (!out.ok) return fail(out);
    return c.json({ active: true as const, pool: out.pool }, 200);
  });

  app.openapi(statusRoute, async (c) => {
    const { sessionId } = c.req.valid("param");
    const claims = await sessionClaims(c, sessionId);
    const out = await poolStub(c.env, claims.pool).status(sessionId, claims.seat);
    if (!out.ok) return fail(out);
    return c.json(out.session, 200);
  });
}
