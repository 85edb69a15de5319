/** The admin API on a pool's audit log. */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { EventsQuery, EventsResponse, PoolPath } from "../../contract/schemas.js";
import { poolAdminAuth, refuse } from "../auth.js";
import type { AppEnv } from "../env.js";
import { adminErrors, bearerSecurity, errorResponses, jsonContent } from "../openapi.js";
import { listEvents } from "../pool-operations.js";

const listEventsRoute = createRoute({
  method: "get",
  path: "/v1/pools/{poolId}/events",
  operationId: "listEvents",
  tags: ["Admin"],
  summary: "The audit log, newest first",
  description: "`limit` events at a time (default 50); pass `next` as `before` for the next page.",
  security: bearerSecurity,
  middleware: [poolAdminAuth] as const,
  request: { params: PoolPath, query: EventsQuery },
  responses: { 200: jsonContent(EventsResponse, "A page of events; pass `next` as `before` for the next page"), ...errorResponses(...adminErrors) },
});

export function registerEventRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(listEventsRoute, async (c) => {
    const query = c.req.valid("query");
    const out = await listEvents(c.env, c.var.actor, c.var.poolId, query.limit ?? 50, query.before === undefined ? undefined : Number(query.before));
    if (!out.ok) return refuse(c, out);
    return c.json({ events: out.events, next: out.next }, 200);
  });
}
