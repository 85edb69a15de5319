/** The admin API on a pool's seats: who holds them, and freeing one. */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { FreeSeatResponse, PoolPath, SeatPath, SeatsQuery, SeatsResponse } from "../../contract/schemas.js";
import { poolAdminAuth, refuse } from "../auth.js";
import type { AppEnv } from "../env.js";
import { adminErrors, bearerSecurity, errorResponses, jsonContent } from "../openapi.js";
import { freeSeat, listSeats } from "../pool-operations.js";

const listSeatsRoute = createRoute({
  method: "get",
  path: "/v1/pools/{poolId}/seats",
  operationId: "listSeats",
  tags: ["Admin"],
  summary: "Who is using the pool",
  description: "A page of the seats in use, oldest first (`limit` 1–500, default 100); follow `next` as `cursor`. `q` keeps the seats whose user or machine contains it, compared as identities are.",
  security: bearerSecurity,
  middleware: [poolAdminAuth] as const,
  request: { params: PoolPath, query: SeatsQuery },
  responses: { 200: jsonContent(SeatsResponse, "A page of the seats in use with their sessions"), ...errorResponses(...adminErrors) },
});

const freeSeatRoute = createRoute({
  method: "delete",
  path: "/v1/pools/{poolId}/seats/{seatId}",
  operationId: "freeSeat",
  tags: ["Admin"],
  summary: "Free a seat",
  description: "Ends all the seat's sessions with reason `freed`; their next heartbeat, status or release learns it. A seat not in use is `not_found`.",
  security: bearerSecurity,
  middleware: [poolAdminAuth] as const,
  request: { params: SeatPath },
  responses: { 200: jsonContent(FreeSeatResponse, "Freed"), ...errorResponses(...adminErrors) },
});

export function registerSeatRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(listSeatsRoute, async (c) => {
    const out = await listSeats(c.env, c.var.actor, c.var.poolId, c.req.valid("query"));
    if (!out.ok) return refuse(c, out);
    const { ok: _ok, ...page } = out;
    return c.json(page, 200);
  });

  app.openapi(freeSeatRoute, async (c) => {
    const out = await freeSeat(c.env, c.var.actor, c.var.poolId, c.req.valid("param").seatId);
    if (!out.ok) return refuse(c, out);
    return c.json({ freed: true as const, pool: out.pool }, 200);
  });
}
