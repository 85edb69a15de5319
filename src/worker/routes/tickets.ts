/** Waiting for a seat: the ticket's holder polls or leaves; the pool's admins list and remove waiters; a user frees their own seat elsewhere. */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import {
  FreeSeatResponse, LeaveQueueResponse, PoolPath, SelfReleasePath, SelfReleaseRequest, QueueResponse, QueueTicketPath, RemoveFromQueueResponse, TicketPath, TicketResponse,
} from "../../contract/schemas.js";
import { messages } from "../../contract/messages.js";
import { bearer, poolAdminAuth, refuse, subprotocolToken } from "../auth.js";
import type { AppEnv } from "../env.js";
import { ApiError, fail } from "../errors.js";
import { adminErrors, bearerSecurity, bodyErrorResponses, errorResponses, jsonBody, jsonContent, publicSecurity } from "../openapi.js";
import { listQueue, removeFromQueue } from "../pool-operations.js";
import { leaveQueue, openTicketLive, selfRelease, ticketState } from "../session-operations.js";
import { verifyTicketToken } from "../tokens.js";

const ticketRoute = createRoute({
  method: "get",
  path: "/v1/tickets/{ticketId}",
  operationId: "getTicket",
  tags: ["Client"],
  summary: "A ticket's place in the queue, or its seat",
  description: "`waiting` with `position` and `waiting`; once a seat was given, `granted` with the checkout's fields (the seat is then the client's). Asking counts as presence: a waiter that neither asks within 60 seconds nor holds the ticket's live channel open lapses. A granted seat not picked up within 120 seconds ends `lapsed` and goes to the next waiter.",
  security: bearerSecurity,
  request: { params: TicketPath },
  responses: { 200: jsonContent(TicketResponse, "The ticket's state"), ...errorResponses("invalid_token", "not_found") },
});

const ticketLiveRoute = createRoute({
  method: "get",
  path: "/v1/tickets/{ticketId}/live",
  operationId: "openTicketChannel",
  tags: ["Client"],
  summary: "The ticket's live channel (WebSocket)",
  description:
    "Upgrades to a WebSocket on which the service tells the waiter where it stands: `{\"type\":\"position\",\"position\",\"waiting\"}` on open and whenever its place or the line's length changes, then `{\"type\":\"granted\", \"ticketId\", \"sessionId\", \"token\", \"seatId\", \"seatShared\", \"pool\"}` (the fields the ticket's state answers once granted; being sent it counts as picked up) and a close with 1000, or `{\"type\":\"ended\",\"reason\":\"lapsed\"|\"cancelled\"}` and a close with 1000. An open channel is presence: the ticket does not lapse while it is open, and its 60 seconds count from its close. Authenticate with `Authorization: Bearer <ticket token>` or the subprotocols `seatkeeper.v1, bearer.<token>` (answered with `seatkeeper.v1`). The text `ping` is answered `pong`.",
  security: bearerSecurity,
  request: { params: TicketPath },
  responses: {
    101: { description: "Switching Protocols: the ticket's channel is open" },
    ...errorResponses("upgrade_required", "invalid_token", "not_found"),
  },
});

const leaveRoute = createRoute({
  method: "delete",
  path: "/v1/tickets/{ticketId}",
  operationId: "leaveQueue",
  tags: ["Client"],
  summary: "Leave the queue",
  description: "Ends the ticket (`cancelled`); a seat granted to it and not yet picked up passes to the next waiter. Leaving again is harmless (`left: false`).",
  security: bearerSecurity,
  request: { params: TicketPath },
  responses: { 200: jsonContent(LeaveQueueResponse, "Left, or already ended"), ...errorResponses("invalid_token", "not_found") },
});

const listQueueRoute = createRoute({
  method: "get",
  path: "/v1/pools/{poolId}/queue",
  operationId: "listQueue",
  tags: ["Admin"],
  summary: "Who waits for a seat",
  description: "The waiting tickets, first in line first, with since when each waits.",
  security: bearerSecurity,
  middleware: [poolAdminAuth] as const,
  request: { params: PoolPath },
  responses: { 200: jsonContent(QueueResponse, "The queue"), ...errorResponses(...adminErrors) },
});

const removeRoute = createRoute({
  method: "delete",
  path: "/v1/pools/{poolId}/queue/{ticketId}",
  operationId: "removeFromQueue",
  tags: ["Admin"],
  summary: "Remove a waiter",
  description: "Ends the ticket (`cancelled`, logged `left_queue` with the admin as actor); a seat granted to it and not yet picked up passes on. An ended ticket is `not_found`.",
  security: bearerSecurity,
  middleware: [poolAdminAuth] as const,
  request: { params: QueueTicketPath },
  responses: { 200: jsonContent(RemoveFromQueueResponse, "Removed"), ...errorResponses(...adminErrors) },
});

const selfReleaseRoute = createRoute({
  method: "post",
  path: "/v1/seats/{seatId}/release",
  operationId: "releaseOwnSeat",
  tags: ["Client"],
  summary: "Free your own seat held on another machine",
  description: "With the pool's serial and product key, frees a seat whose user is the caller's (compared as identities are), as listed in `details.ownSeats` of a `pool_full`. Refused with `seat_active` while its holder is connected and active; `forbidden` where the pool sets `selfRelease: false`. Logged as `freed` with actor `self:<user>@<machine>`.",
  security: publicSecurity,
  request: { params: SelfReleasePath, body: jsonBody(SelfReleaseRequest, "The pool's credentials and who is asking") },
  responses: {
    200: jsonContent(FreeSeatResponse, "Freed"),
    ...bodyErrorResponses("invalid_credentials", "credentials_revoked", "forbidden", "not_found", "seat_active", "rate_limited"),
  },
});

/** The ticket's own token, for the ticket in the path; a live channel may send it as a subprotocol. */
async function ticketClaims(c: Context<AppEnv>, ticketId: string, live = false) {
  const token = bearer(c.req.header("authorization")) ?? (live ? subprotocolToken(c.req.header("sec-websocket-protocol")) : undefined);
  const claims = token ? await verifyTicketToken(c.env, token, ticketId) : null;
  if (!claims) throw new ApiError("invalid_token", messages.badTicketToken);
  return claims;
}

export function registerTicketRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(selfReleaseRoute, async (c) => {
    const out = await selfRelease(c.env, c.req.raw, c.req.valid("param").seatId, c.req.valid("json"));
    return out.ok ? c.json({ freed: true as const, pool: out.pool }, 200) : fail(out);
  });

  app.openapi(ticketRoute, async (c) => {
    const out = await ticketState(c.env, await ticketClaims(c, c.req.valid("param").ticketId));
    return out.ok ? c.json(out.answer, 200) : fail(out);
  });

  app.openapi(ticketLiveRoute, async (c) => {
    const claims = await ticketClaims(c, c.req.valid("param").ticketId, true);
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") throw new ApiError("upgrade_required", messages.upgradeRequired);
    return openTicketLive(c.env, claims, c.req.raw);
  });

  app.openapi(leaveRoute, async (c) => {
    const out = await leaveQueue(c.env, await ticketClaims(c, c.req.valid("param").ticketId));
    return out.ok ? c.json({ left: out.left }, 200) : fail(out);
  });

  app.openapi(listQueueRoute, async (c) => {
    const out = await listQueue(c.env, c.var.actor, c.var.poolId);
    if (!out.ok) return refuse(c, out);
    return c.json({ waiting: out.waiting }, 200);
  });

  app.openapi(removeRoute, async (c) => {
    const out = await removeFromQueue(c.env, c.var.actor, c.var.poolId, c.req.valid("param").ticketId);
    if (!out.ok) return refuse(c, out);
    return c.json({ removed: true as const }, 200);
  });
}
