/** The admin API on a pool's serial number and product key: revoke and reissue them. */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { PoolPath, RotateCredentialsRequest, RotateCredentialsResponse } from "../../contract/schemas.js";
import { poolAdminAuth, refuse } from "../auth.js";
import type { AppEnv } from "../env.js";
import { adminErrors, bearerSecurity, emptyBodyIsNoBody, bodyErrorResponses, jsonBody, jsonContent } from "../openapi.js";
import { rotateCredentials } from "../pool-operations.js";

const rotateCredentialsRoute = createRoute({
  method: "post",
  path: "/v1/pools/{poolId}/credentials",
  operationId: "rotateCredentials",
  tags: ["Admin"],
  summary: "Revoke and reissue the serial and product key",
  description: "With `endSessions: false` (default) running sessions carry on; with `true` they all end with reason `revoked`. The old pair is refused with `credentials_revoked`. The body may be left out.",
  security: bearerSecurity,
  middleware: [poolAdminAuth, emptyBodyIsNoBody] as const,
  request: { params: PoolPath, body: jsonBody(RotateCredentialsRequest, "Whether running sessions end; may be left out", false) },
  responses: { 201: jsonContent(RotateCredentialsResponse, "The new pair, shown once"), ...bodyErrorResponses(...adminErrors) },
});

export function registerCredentialRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(rotateCredentialsRoute, async (c) => {
    const out = await rotateCredentials(c.env, c.var.actor, c.var.poolId, c.req.valid("json").endSessions ?? false);
    if (!out.ok) return refuse(c, out);
    return c.json({ serial: out.serial, productKey: out.productKey, sessionsEnded: out.sessionsEnded }, 201);
  });
}
