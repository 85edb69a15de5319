/** The admin API on pools themselves: create, list, read, change. */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import {
  CreatePoolRequest, CreatePoolResponse, PoolDetails, PoolListQuery, PoolListResponse, PoolPath, UpdatePoolRequest,
} from "../../contract/schemas.js";
import { allow, poolAdminAuth, refuse, vendorAuth } from "../auth.js";
import { normalizeKey } from "../credentials.js";
import type { AppEnv } from "../env.js";
import { adminErrors, bearerSecurity, bodyErrorResponses, errorResponses, jsonBody, jsonContent, vendorErrors } from "../openapi.js";
import { createPool, getPool, listPools, updatePool } from "../pool-operations.js";

const createPoolRoute = createRoute({
  method: "post",
  path: "/v1/pools",
  operationId: "createPool",
  tags: ["Admin"],
  summary: "Create a pool (vendor)",
  description: "The serial number, product key and admin key are shown once, here; only their hashes are stored.",
  security: bearerSecurity,
  middleware: [vendorAuth, allow("create_pool")] as const,
  request: { body: jsonBody(CreatePoolRequest, "The customer, the number of seats and the optional settings") },
  responses: { 201: jsonContent(CreatePoolResponse, "The new pool and its secrets"), ...bodyErrorResponses(...vendorErrors) },
});

const listPoolsRoute = createRoute({
  method: "get",
  path: "/v1/pools",
  operationId: "listPools",
  tags: ["Admin"],
  summary: "List pools (vendor)",
  description: "Pools in id order, `limit` at a time (default 100); pass `next` as `after` for the next page.",
  security: bearerSecurity,
  middleware: [vendorAuth, allow("list_pools")] as const,
  request: { query: PoolListQuery },
  responses: { 200: jsonContent(PoolListResponse, "A page of pools, in id order"), ...errorResponses(...vendorErrors) },
});

const getPoolRoute = createRoute({
  method: "get",
  path: "/v1/pools/{poolId}",
  operationId: "getPool",
  tags: ["Admin"],
  summary: "A pool",
  security: bearerSecurity,
  middleware: [poolAdminAuth] as const,
  request: { params: PoolPath },
  responses: { 200: jsonContent(PoolDetails, "The pool"), ...errorResponses(...adminErrors) },
});

const updatePoolRoute = createRoute({
  method: "patch",
  path: "/v1/pools/{poolId}",
  operationId: "updatePool",
  tags: ["Admin"],
  summary: "Change a pool",
  description: "`seats` is the vendor's alone. Lowering seats below those in use ends no one's session.",
  security: bearerSecurity,
  middleware: [poolAdminAuth] as const,
  request: { params: PoolPath, body: jsonBody(UpdatePoolRequest, "The settings to change; at least one") },
  responses: { 200: jsonContent(PoolDetails, "The pool as it now is"), ...bodyErrorResponses(...adminErrors) },
});

export function registerPoolRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(createPoolRoute, async (c) => {
    const body = c.req.valid("json");
    const out = await createPool(c.env, {
      ...body, minClientVersion: body.minClientVersion ?? null, staleAfterHours: body.staleAfterHours ?? null, locationHint: body.locationHint ?? null,
    }, c.var.actor);
    if (!out.ok) return refuse(c, out);
    return c.json({ ...out.pool, productKey: out.productKey, adminKey: out.adminKey }, 201);
  });

  app.openapi(listPoolsRoute, async (c) => {
    const query = c.req.valid("query");
    return c.json(await listPools(c.env, query.limit ?? 100, query.after ? normalizeKey(query.after) : undefined), 200);
  });

  app.openapi(getPoolRoute, async (c) => {
    const out = await getPool(c.env, c.var.actor, c.var.poolId);
    if (!out.ok) return refuse(c, out);
    return c.json(out.pool, 200);
  });

  app.openapi(updatePoolRoute, async (c) => {
    const out = await updatePool(c.env, c.var.actor, c.var.poolId, c.req.valid("json"));
    if (!out.ok) return refuse(c, out);
    return c.json(out.pool, 200);
  });
}
