/** The admin API on how busy a pool was. */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { PoolPath, UsageQuery, UsageResponse } from "../../contract/schemas.js";
import { poolAdminAuth, refuse } from "../auth.js";
import type { AppEnv } from "../env.js";
import { adminErrors, bearerSecurity, errorResponses, jsonContent } from "../openapi.js";
import { usage } from "../pool-operations.js";

const usageRoute = createRoute({
  method: "get",
  path: "/v1/pools/{poolId}/usage",
  operationId: "getUsage",
  tags: ["Admin"],
  summary: "How busy the pool was",
  description: "Hourly (default: the last 24 hours, at most 62 days) or daily (default: the last 30 days, at most 400) buckets of peak seats in use, checkouts and `pool_full` denials.",
  security: bearerSecurity,
  middleware: [poolAdminAuth] as const,
  request: { params: PoolPath, query: UsageQuery },
  responses: { 200: jsonContent(UsageResponse, "Usage buckets, oldest first"), ...errorResponses(...adminErrors) },
});

export function registerUsageRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(usageRoute, async (c) => {
    const query = c.req.valid("query");
    const out = await usage(c.env, c.var.actor, c.var.poolId, {
      ...(query.bucket ? { bucket: query.bucket } : {}),
      ...(query.from ? { from: Date.parse(query.from) } : {}),
      ...(query.to ? { to: Date.parse(query.to) } : {}),
    });
    if (!out.ok) return refuse(c, out);
    return c.json({ bucket: out.bucket, buckets: out.buckets }, 200);
  });
}
