/** The client API: check a seat out, release it, heartbeat, status. */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import {
  CheckoutRequest, CheckoutResponse, HeartbeatResponse, ReleaseResponse, SessionPath, SessionStatus,
} from "../../contract/schemas.js";
import { sessionAuth } from "../auth.js";
import { normalizeKey, parseSerial, sha256Hex } from "../credentials.js";
import type { AppEnv } from "../env.js";
import { fail } from "../errors.js";
import { failedAuthentication } from "../failure-limiter.js";
import { bearerSecurity, bodyErrorResponses, errorResponses, jsonBody, jsonContent, publicSecurity } from "../openapi.js";
import { poolStub } from "../pool-stub.js";
import { signSessionToken } from "../tokens.js";

const BAD_CREDENTIALS = "The serial number or product key is not valid. Check both with your IT department.";

// The serial number and product key travel in the body, so a checkout is authenticated after it is parsed.
const checkoutRoute = createRoute({
  method: "post",
  path: "/v1/sessions",
  operationId: "checkout",
  tags: ["Client"],
  summary: "Check a seat out",
  description: "Takes a seat for this identity, or joins the seat it already holds. Repeating a request with the same `instance` returns the session created for it (200).",
  security: publicSecurity,
  request: { body: jsonBody(CheckoutRequest, "The pool's serial number and product key, and who is asking") },
  responses: {
    201: jsonContent(CheckoutResponse, "A session was created"),
    200: jsonContent(CheckoutResponse, "The session already created for this `instance`"),
    ...bodyErrorResponses("invalid_credentials", "credentials_revoked", "pool_full", "client_version_unsupported", "rate_limited"),
  },
});

const releaseRoute = createRoute({
  method: "delete",
  path: "/v1/sessions/{sessionId}",
  operationId: "releaseSession",
  tags: ["Client"],
  summary: "Release a session",
  description: "Ends the session; its seat returns to the pool with the identity's last session. Releasing again is harmless.",
  security: bearerSecurity,
  middleware: [sessionAuth] as const,
  request: { params: SessionPath },
  responses: { 200: jsonContent(ReleaseResponse, "Released, or already ended with the reason"), ...errorResponses("invalid_token") },
});

const heartbeatRoute = createRoute({
  method: "post",
  path: "/v1/sessions/{sessionId}/heartbeat",
  operationId: "heartbeat",
  tags: ["Client"],
  summary: "Mark the session as seen",
  security: bearerSecurity,
  middleware: [sessionAuth] as const,
  request: { params: SessionPath },
  responses: { 200: jsonContent(HeartbeatResponse, "The session is active"), ...errorResponses("invalid_token", "session_ended") },
});

const statusRoute = createRoute({
  method: "get",
  path: "/v1/sessions/{sessionId}",
  operationId: "getSession",
  tags: ["Client"],
  summary: "The session and its seat",
  security: bearerSecurity,
  middleware: [sessionAuth] as const,
  request: { params: SessionPath },
  responses: { 200: jsonContent(SessionStatus, "The session, active or ended"), ...errorResponses("invalid_token", "session_ended") },
});

export function registerSessionRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(checkoutRoute, async (c) => {
    const body = c.req.valid("json");
    const serial = parseSerial(body.serial);
    if (!serial) return failedAuthentication(c.env, c.req.raw, "invalid_credentials", BAD_CREDENTIALS);
    const out = await poolStub(c.env, serial.poolId).checkout({
      generation: serial.generation,
      keyHash: await sha256Hex(normalizeKey(body.productKey)),
      user: body.user,
      machine: body.machine,
      terminalSession: body.terminalSession,
      clientVersion: body.clientVersion,
      instance: body.instance,
    });
    if (!out.ok) {
      if (out.code === "invalid_credentials") return failedAuthentication(c.env, c.req.raw, out.code, out.message);
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
    const { sub, pool, seat } = c.var.claims;
    const out = await poolStub(c.env, pool).release(sub, seat);
    if (!out.ok) return fail(out);
    const { ok: _ok, ...answer } = out;
    return c.json(answer, 200);
  });

  app.openapi(heartbeatRoute, async (c) => {
    const { sub, pool, seat } = c.var.claims;
    const out = await poolStub(c.env, pool).heartbeat(sub, seat);
    if (!out.ok) return fail(out);
    return c.json({ active: true as const, pool: out.pool }, 200);
  });

  app.openapi(statusRoute, async (c) => {
    const { sub, pool, seat } = c.var.claims;
    const out = await poolStub(c.env, pool).status(sub, seat);
    if (!out.ok) return fail(out);
    return c.json(out.session, 200);
  });
}
