/** The admin API on a pool's admin key: issue a new one, which revokes the previous one. */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { AdminKeyResponse, PoolPath } from "../../contract/schemas.js";
import { poolAdminAuth, refuse } from "../auth.js";
import type { AppEnv } from "../env.js";
import { adminErrors, bearerSecurity, errorResponses, jsonContent } from "../openapi.js";
import { rotateAdminKey } from "../pool-operations.js";

const rotateAdminKeyRoute = createRoute({
  method: "post",
  path: "/v1/pools/{poolId}/admin-keys",
  operationId: "rotateAdminKey",
  tags: ["Admin"],
  summary: "Issue a new admin key and revoke the previous one",
  description: "The previous admin key stops working at once; the new one is shown once, here.",
  security: bearerSecurity,
  middleware: [poolAdminAuth] as const,
  request: { params: PoolPath },
  responses: { 201: jsonContent(AdminKeyResponse, "The new admin key, shown once"), ...errorResponses(...adminErrors) },
});

export function registerAdminKeyRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(rotateAdminKeyRoute, async (c) => {
    const out = await rotateAdminKey(c.env, c.var.actor, c.var.poolId);
    if (!out.ok) return refuse(c, out);
    return c.json({ adminKey: out.adminKey }, 201);
  });
}
