/** The admin API on a pool's admins: several named people, each with a key of their own. */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { AdminListResponse, AdminPath, CreateAdminRequest, CreateAdminResponse, PoolPath, RemovedResponse } from "../../contract/schemas.js";
import { poolAdminAuth, refuse } from "../auth.js";
import type { AppEnv } from "../env.js";
import { adminErrors, bearerSecurity, bodyErrorResponses, errorResponses, jsonBody, jsonContent } from "../openapi.js";
import { addAdmin, listAdmins, removeAdmin } from "../pool-operations.js";

const addAdminRoute = createRoute({
  method: "post",
  path: "/v1/pools/{poolId}/admins",
  operationId: "addAdmin",
  tags: ["People"],
  summary: "Add a pool admin",
  description: "The new admin's key is shown once, here; only its hash is stored. It reaches this pool alone.",
  security: bearerSecurity,
  middleware: [poolAdminAuth] as const,
  request: { params: PoolPath, body: jsonBody(CreateAdminRequest, "Who the new admin is") },
  responses: { 201: jsonContent(CreateAdminResponse, "The new admin and their key"), ...bodyErrorResponses(...adminErrors) },
});

const listAdminsRoute = createRoute({
  method: "get",
  path: "/v1/pools/{poolId}/admins",
  operationId: "listAdmins",
  tags: ["People"],
  summary: "List a pool's admins",
  description: "Oldest first: the first is the key made with the pool, unless it was removed.",
  security: bearerSecurity,
  middleware: [poolAdminAuth] as const,
  request: { params: PoolPath },
  responses: { 200: jsonContent(AdminListResponse, "The pool's admins"), ...errorResponses(...adminErrors) },
});

const removeAdminRoute = createRoute({
  method: "delete",
  path: "/v1/pools/{poolId}/admins/{adminId}",
  operationId: "removeAdmin",
  tags: ["People"],
  summary: "Remove a pool admin",
  description: "Their key stops working and their dashboard sessions end at once. The last admin cannot be removed (`conflict`).",
  security: bearerSecurity,
  middleware: [poolAdminAuth] as const,
  request: { params: AdminPath },
  responses: { 200: jsonContent(RemovedResponse, "Removed"), ...errorResponses(...adminErrors, "conflict") },
});

export function registerAdminRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(addAdminRoute, async (c) => {
    const out = await addAdmin(c.env, c.var.actor, c.var.poolId, c.req.valid("json"));
    if (!out.ok) return refuse(c, out);
    return c.json({ adminId: out.admin.adminId, name: out.admin.name, email: out.admin.email, adminKey: out.adminKey }, 201);
  });

  app.openapi(listAdminsRoute, async (c) => {
    const out = await listAdmins(c.env, c.var.actor, c.var.poolId);
    if (!out.ok) return refuse(c, out);
    return c.json({ admins: out.admins }, 200);
  });

  app.openapi(removeAdminRoute, async (c) => {
    const out = await removeAdmin(c.env, c.var.actor, c.var.poolId, c.req.valid("param").adminId);
    if (!out.ok) return refuse(c, out);
    return c.json({ removed: true as const }, 200);
  });
}
