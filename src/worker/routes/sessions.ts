/** The client API: check a seat out, release it, heartbeat, status. */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import {
  BorrowRequest, BorrowResponse, CheckoutRequest, CheckoutResponse, HeartbeatRequest, HeartbeatResponse, QueuedResponse, ReleaseResponse, SessionPath, SessionStatus,
} from "../../contract/schemas.js";
import { liveAuth, sessionAuth } from "../auth.js";
import type { AppEnv } from "../env.js";
import { ApiError, fail } from "../errors.js";
import { messages } from "../../contract/messages.js";
import { bearerSecurity, emptyBodyIsNoBody, bodyErrorResponses, errorResponses, jsonBody, jsonContent, publicSecurity } from "../openapi.js";
import { borrow, checkout, heartbeat, openLive, release, sessionStatus } from "../session-operations.js";

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
    202: jsonContent(QueuedResponse, "`wait: true` on a full pool: a ticket in the queue"),
    ...bodyErrorResponses("invalid_credentials", "credentials_revoked", "pool_full", "client_version_unsupported", "rate_limited", "blocked", "pool_inactive", "group_full"),
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
  description: "May carry `idleSince`: since when the user has not used the application (null once they are back), which idle reclaim reads for clients without a live channel. A beat that repeats the same state writes nothing.",
  security: bearerSecurity,
  middleware: [sessionAuth, emptyBodyIsNoBody] as const,
  request: { params: SessionPath, body: jsonBody(HeartbeatRequest, "Optional: whether the user is idle", false) },
  responses: { 200: jsonContent(HeartbeatResponse, "The session is active"), ...bodyErrorResponses("invalid_token", "session_ended") },
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

const liveRoute = createRoute({
  method: "get",
  path: "/v1/sessions/{sessionId}/live",
  operationId: "openLiveChannel",
  tags: ["Client"],
  summary: "The session's live channel (WebSocket)",
  description:
    "Upgrades to a WebSocket on which the service says at once what happens to the seat: `{\"type\":\"hello\",\"sessionId\",\"seatId\",\"pool\"}` on open, `{\"type\":\"ended\",\"reason\"}` when the session ends (then a close with 1000). The text `ping` is answered `pong`. Authenticate with `Authorization: Bearer <session token>` or, where headers cannot be set, the subprotocols `seatkeeper.v1, bearer.<token>` (answered with `seatkeeper.v1`). An open channel counts as seen for stale-seat expiry.",
  security: bearerSecurity,
  middleware: [liveAuth] as const,
  request: { params: SessionPath },
  responses: {
    101: { description: "Switching Protocols: the live channel is open" },
    ...errorResponses("upgrade_required", "invalid_token", "session_ended"),
  },
});

const borrowRoute = createRoute({
  method: "post",
  path: "/v1/sessions/{sessionId}/borrow",
  operationId: "borrowSeat",
  tags: ["Client"],
  summary: "Borrow the seat to work offline",
  description:
    "Keeps the session's seat for `days` whatever happens to the client (no heartbeats needed); at `until` the session ends `expired`, and releasing it earlier returns the seat. The lease is a JWT signed like session tokens (`typ` `lease`, `sub` the session id, `pool`, `seat`, `user`, `machine`, `machineId` when the session has one, `nbf`, `exp` = `until`), verified offline with the JWKS. Borrowing again moves `until`.",
  security: bearerSecurity,
  middleware: [sessionAuth] as const,
  request: { params: SessionPath, body: jsonBody(BorrowRequest, "How many days, at most the pool's maxBorrowDays") },
  responses: {
    200: jsonContent(BorrowResponse, "The seat is borrowed until `until`"),
    ...bodyErrorResponses("invalid_token", "session_ended", "borrow_not_allowed", "borrow_limit"),
  },
});

export function registerSessionRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(checkoutRoute, async (c) => {
    const out = await checkout(c.env, c.req.raw, c.req.valid("json"));
    if (!out.ok) return fail(out);
    if ("queued" in out) return c.json(out.answer, 202);
    return out.created ? c.json(out.answer, 201) : c.json(out.answer, 200);
  });

  app.openapi(releaseRoute, async (c) => {
    const out = await release(c.env, c.var.claims);
    return out.ok ? c.json(out.answer, 200) : fail(out);
  });

  app.openapi(borrowRoute, async (c) => {
    const out = await borrow(c.env, c.var.claims, c.req.valid("json").days);
    return out.ok ? c.json(out.answer, 200) : fail(out);
  });

  app.openapi(heartbeatRoute, async (c) => {
    const out = await heartbeat(c.env, c.var.claims, c.req.valid("json").idleSince);
    return out.ok ? c.json(out.answer, 200) : fail(out);
  });

  app.openapi(statusRoute, async (c) => {
    const out = await sessionStatus(c.env, c.var.claims);
    return out.ok ? c.json(out.answer, 200) : fail(out);
  });

  app.openapi(liveRoute, async (c) => {
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") throw new ApiError("upgrade_required", messages.upgradeRequired);
    return openLive(c.env, c.var.claims, c.req.raw);
  });
}
