/** The admin API on how many seats a pool should have. */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { AdviceQuery, AdviceResponse, PoolPath } from "../../contract/schemas.js";
import { poolAdminAuth, refuse } from "../auth.js";
import type { AppEnv } from "../env.js";
import { adminErrors, bearerSecurity, errorResponses, jsonContent } from "../openapi.js";
import { seatAdvice } from "../pool-operations.js";

const adviceRoute = createRoute({
  method: "get",
  path: "/v1/pools/{poolId}/advice",
  operationId: "getSeatAdvice",
  tags: ["Admin"],
  summary: "How many seats the pool should have",
  description: "Judged on the last `days` days (default 30) of hourly usage by the rule in docs/advice.md: recurring denials ask for more seats, a rare busy day does not, a pool that never came near full is offered its peak plus one.",
  security: bearerSecurity,
  middleware: [poolAdminAuth] as const,
  request: { params: PoolPath, query: AdviceQuery },
  responses: { 200: jsonContent(AdviceResponse, "The advice and what it is based on"), ...errorResponses(...adminErrors) },
});

export function registerAdviceRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(adviceRoute, async (c) => {
    const out = await seatAdvice(c.env, c.var.actor, c.var.poolId, c.req.valid("query").days ?? 30);
    if (!out.ok) return refuse(c, out);
    return c.json(out.advice, 200);
  });
}
