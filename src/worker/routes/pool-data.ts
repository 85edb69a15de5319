/** The admin API on a pool's data: export it, erase one person's names from it, delete the pool with all it holds. */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { DeletePoolResponse, ErasureRequest, ErasureResponse, ExportRecord, PoolPath } from "../../contract/schemas.js";
import { poolAdminAuth, refuse } from "../auth.js";
import type { AppEnv } from "../env.js";
import { adminErrors, bearerSecurity, bodyErrorResponses, errorResponses, jsonBody, jsonContent } from "../openapi.js";
import { deletePool, erasePerson, exportPool } from "../pool-operations.js";

const exportRoute = createRoute({
  method: "get",
  path: "/v1/pools/{poolId}/export",
  operationId: "exportPool",
  tags: ["Admin"],
  summary: "Export everything the pool holds",
  description:
    "NDJSON, streamed: one record a line, each with a `kind`: the `pool` first, then every `seat`, `session`, `event` and hourly `usage` row it holds. No secret or hash is exported.",
  security: bearerSecurity,
  middleware: [poolAdminAuth] as const,
  request: { params: PoolPath },
  responses: {
    200: { content: { "application/x-ndjson": { schema: ExportRecord } }, description: "One record a line" },
    ...errorResponses(...adminErrors),
  },
});

const erasureRoute = createRoute({
  method: "post",
  path: "/v1/pools/{poolId}/erasure",
  operationId: "erasePerson",
  tags: ["Admin"],
  summary: "Erase a person's names from the pool's past",
  description:
    "Replaces the user's names (on one machine, when `machine` is given) with `erased` in ended seats, in events, in ended queue tickets and in webhook payloads, and removes the client addresses of those seats' ended sessions. Active seats are untouched. Logged as `erased`, without the names.",
  security: bearerSecurity,
  middleware: [poolAdminAuth] as const,
  request: { params: PoolPath, body: jsonBody(ErasureRequest, "Whose names to erase") },
  responses: { 200: jsonContent(ErasureResponse, "How many records changed"), ...bodyErrorResponses(...adminErrors) },
});

const deleteRoute = createRoute({
  method: "delete",
  path: "/v1/pools/{poolId}",
  operationId: "deletePool",
  tags: ["Admin"],
  summary: "Delete a pool and all it holds (vendor)",
  description:
    "The pool's storage is deleted and it leaves the vendor's list; its serial is `invalid_credentials` from then on. This cannot be undone. The pool's admin key is `forbidden` here.",
  security: bearerSecurity,
  // the pool's own admin key is checked like any (a forged one is 401), then the pool refuses it: deletion is the vendor's
  middleware: [poolAdminAuth] as const,
  request: { params: PoolPath },
  responses: { 200: jsonContent(DeletePoolResponse, "The pool is gone"), ...errorResponses(...adminErrors) },
});

export function registerPoolDataRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(exportRoute, async (c) => {
    const out = await exportPool(c.env, c.var.actor, c.var.poolId);
    if (!out.ok) return refuse(c, out);
    const res = c.body(out.stream, 200, {
      "content-type": "application/x-ndjson; charset=utf-8",
      "content-disposition": `attachment; filename="seatkeeper-${c.var.poolId}.ndjson"`,
      "cache-control": "no-store",
    });
    // zod-openapi types only JSON and text answers; x-ndjson is typed `never`, so the stream's Response is passed as is
    return res as never;
  });

  app.openapi(erasureRoute, async (c) => {
    const out = await erasePerson(c.env, c.var.actor, c.var.poolId, c.req.valid("json"));
    if (!out.ok) return refuse(c, out);
    const { ok: _ok, ...counts } = out;
    return c.json(counts, 200);
  });

  app.openapi(deleteRoute, async (c) => {
    const out = await deletePool(c.env, c.var.actor, c.var.poolId);
    if (!out.ok) return refuse(c, out);
    return c.json({ deleted: true as const, poolId: out.poolId }, 200);
  });
}
