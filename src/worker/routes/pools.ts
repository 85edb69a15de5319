/** The admin API: pools, their seats, credentials, admin keys, audit log and usage. Each route parses, authorises, calls one operation and shapes the answer. */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import {
  AdminKeyResponse, CreatePoolRequest, CreatePoolResponse, EventsQuery, EventsResponse, FreeSeatResponse, PoolDetails,
  PoolListQuery, PoolListResponse, PoolPath, RotateCredentialsRequest, RotateCredentialsResponse, SeatPath, SeatsResponse,
  UpdatePoolRequest, UsageQuery, UsageResponse,
} from "../../contract/schemas.js";
import { adminActor, failedAuthentication } from "../auth.js";
import { normalizeKey, parsePoolId } from "../credentials.js";
import type { AppEnv } from "../env.js";
import { ApiError, fail } from "../errors.js";
import { bearerSecurity, errorResponses, jsonBody, jsonContent } from "../openapi.js";
import { createPool, getPool, listPools, parseEvents, rotateAdminKey, rotateCredentials, updatePool } from "../pool-operations.js";
import { poolStub } from "../pool-stub.js";
import type { Failure } from "../../../durable-objects/outcome.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const adminErrors = ["unauthorized", "forbidden", "not_found", "rate_limited"] as const;

/** A pool object's failure; a wrong admin key also counts against the client address. */
async function poolFailure(c: Context<AppEnv>, f: Failure): Promise<never> {
  if (f.code === "unauthorized") return failedAuthentication(c, f.code, f.message);
  return fail(f);
}

/** The pool named in the path, after the caller is known to reach it. */
async function poolFor(c: Context<AppEnv>, rawPoolId: string) {
  const normalized = normalizeKey(rawPoolId);
  const actor = await adminActor(c, normalized);
  const poolId = parsePoolId(rawPoolId);
  if (!poolId) throw new ApiError("not_found", "No such pool.");
  return { actor, poolId, stub: poolStub(c.env, poolId) };
}

const route = <M extends "get" | "post" | "patch" | "delete", P extends string>(method: M, path: P, summary: string) => ({
  method,
  path,
  summary,
  tags: ["Admin"],
  security: bearerSecurity,
});

export function registerPoolRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(
    createRoute({
      ...route("post", "/v1/pools", "Create a pool (vendor)"),
      description: "The serial number, product key and admin key are shown once, here; only their hashes are stored.",
      request: { body: jsonBody(CreatePoolRequest) },
      responses: { 201: jsonContent(CreatePoolResponse, "The new pool and its secrets"), ...errorResponses(...adminErrors) },
    }),
    async (c) => {
      const body = c.req.valid("json");
      await adminActor(c, undefined);
      const out = await createPool(c.env, {
        customer: body.customer,
        seats: body.seats,
        minClientVersion: body.minClientVersion ?? null,
        staleAfterHours: body.staleAfterHours ?? null,
      });
      if (!out.ok) return fail(out);
      return c.json({ ...out.pool, productKey: out.productKey, adminKey: out.adminKey }, 201);
    },
  );

  app.openapi(
    createRoute({
      ...route("get", "/v1/pools", "List pools (vendor)"),
      request: { query: PoolListQuery },
      responses: { 200: jsonContent(PoolListResponse, "A page of pools, in id order"), ...errorResponses(...adminErrors) },
    }),
    async (c) => {
      const query = c.req.valid("query");
      await adminActor(c, undefined);
      const page = await listPools(c.env, query.limit ?? 100, query.after ? normalizeKey(query.after) : undefined);
      return c.json(page, 200);
    },
  );

  app.openapi(
    createRoute({
      ...route("get", "/v1/pools/{poolId}", "A pool"),
      request: { params: PoolPath },
      responses: { 200: jsonContent(PoolDetails, "The pool"), ...errorResponses(...adminErrors) },
    }),
    async (c) => {
      const { actor, poolId } = await poolFor(c, c.req.valid("param").poolId);
      const out = await getPool(c.env, actor, poolId);
      if (!out.ok) return poolFailure(c, out);
      return c.json(out.pool, 200);
    },
  );

  app.openapi(
    createRoute({
      ...route("patch", "/v1/pools/{poolId}", "Change a pool"),
      description: "`seats` is the vendor's alone. Lowering seats below those in use ends no one's session.",
      request: { params: PoolPath, body: jsonBody(UpdatePoolRequest) },
      responses: { 200: jsonContent(PoolDetails, "The pool as it now is"), ...errorResponses(...adminErrors) },
    }),
    async (c) => {
      const patch = c.req.valid("json");
      const { actor, poolId } = await poolFor(c, c.req.valid("param").poolId);
      const out = await updatePool(c.env, actor, poolId, patch);
      if (!out.ok) return poolFailure(c, out);
      return c.json(out.pool, 200);
    },
  );

  app.openapi(
    createRoute({
      ...route("get", "/v1/pools/{poolId}/seats", "Who is using the pool"),
      request: { params: PoolPath },
      responses: { 200: jsonContent(SeatsResponse, "Seats in use with their sessions"), ...errorResponses(...adminErrors) },
    }),
    async (c) => {
      const { actor, stub } = await poolFor(c, c.req.valid("param").poolId);
      const out = await stub.listSeats(actor);
      if (!out.ok) return poolFailure(c, out);
      return c.json({ seats: out.seats }, 200);
    },
  );

  app.openapi(
    createRoute({
      ...route("delete", "/v1/pools/{poolId}/seats/{seatId}", "Free a seat"),
      description: "Ends all the seat's sessions with reason `freed`; their next heartbeat, status or release learns it.",
      request: { params: SeatPath },
      responses: { 200: jsonContent(FreeSeatResponse, "Freed"), ...errorResponses(...adminErrors) },
    }),
    async (c) => {
      const params = c.req.valid("param");
      const { actor, stub } = await poolFor(c, params.poolId);
      const out = await stub.freeSeat(actor, params.seatId);
      if (!out.ok) return poolFailure(c, out);
      return c.json({ freed: true as const, pool: out.pool }, 200);
    },
  );

  app.openapi(
    createRoute({
      ...route("post", "/v1/pools/{poolId}/credentials", "Revoke and reissue the serial and product key"),
      description: "With `endSessions: false` (default) running sessions carry on; with `true` they all end with reason `revoked`. The old pair is refused with `credentials_revoked`.",
      request: { params: PoolPath, body: jsonBody(RotateCredentialsRequest) },
      responses: { 201: jsonContent(RotateCredentialsResponse, "The new pair, shown once"), ...errorResponses(...adminErrors) },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const { actor, poolId } = await poolFor(c, c.req.valid("param").poolId);
      const out = await rotateCredentials(c.env, actor, poolId, body.endSessions ?? false);
      if (!out.ok) return poolFailure(c, out);
      return c.json({ serial: out.serial, productKey: out.productKey, sessionsEnded: out.sessionsEnded }, 201);
    },
  );

  app.openapi(
    createRoute({
      ...route("post", "/v1/pools/{poolId}/admin-keys", "Issue a new admin key and revoke the previous one"),
      request: { params: PoolPath },
      responses: { 201: jsonContent(AdminKeyResponse, "The new admin key, shown once"), ...errorResponses(...adminErrors) },
    }),
    async (c) => {
      const { actor, poolId } = await poolFor(c, c.req.valid("param").poolId);
      const out = await rotateAdminKey(c.env, actor, poolId);
      if (!out.ok) return poolFailure(c, out);
      return c.json({ adminKey: out.adminKey }, 201);
    },
  );

  app.openapi(
    createRoute({
      ...route("get", "/v1/pools/{poolId}/events", "The audit log, newest first"),
      request: { params: PoolPath, query: EventsQuery },
      responses: { 200: jsonContent(EventsResponse, "A page of events; pass `next` as `before` for the next page"), ...errorResponses(...adminErrors) },
    }),
    async (c) => {
      const query = c.req.valid("query");
      const { actor, stub } = await poolFor(c, c.req.valid("param").poolId);
      const out = await stub.events(actor, query.limit ?? 50, query.before === undefined ? undefined : Number(query.before));
      if (!out.ok) return poolFailure(c, out);
      return c.json({ events: parseEvents(out.events), next: out.next }, 200);
    },
  );

  app.openapi(
    createRoute({
      ...route("get", "/v1/pools/{poolId}/usage", "How busy the pool was"),
      description: "Hourly (default: the last 24 hours, at most 62 days) or daily (default: the last 30 days, at most 400) buckets of peak seats in use, checkouts and `pool_full` denials.",
      request: { params: PoolPath, query: UsageQuery },
      responses: { 200: jsonContent(UsageResponse, "Usage buckets, oldest first"), ...errorResponses(...adminErrors) },
    }),
    async (c) => {
      const query = c.req.valid("query");
      const { actor, stub } = await poolFor(c, c.req.valid("param").poolId);
      const bucket = query.bucket ?? "hour";
      const to = query.to ? Date.parse(query.to) : Date.now();
      const from = query.from ? Date.parse(query.from) : to - (bucket === "hour" ? 23 * HOUR : 29 * DAY);
      const size = bucket === "hour" ? HOUR : DAY;
      const maxBuckets = bucket === "hour" ? 62 * 24 : 400;
      if (from > to) throw new ApiError("invalid_request", "`from` must not be after `to`.", { issues: [{ path: "from", message: "after to" }] });
      if ((to - from) / size > maxBuckets) {
        throw new ApiError("invalid_request", `Ask for at most ${maxBuckets} ${bucket} buckets at once.`, { issues: [{ path: "from", message: "range too long" }] });
      }
      const out = await stub.usage(actor, from, to, bucket);
      if (!out.ok) return poolFailure(c, out);
      return c.json({ bucket, buckets: out.buckets }, 200);
    },
  );
}
