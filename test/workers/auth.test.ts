/**
 * The auth middleware knows the caller before a route reads its input: no credential or
 * a wrong one is 401 whatever the body, on every route that takes a bearer credential.
 * The routes come from /openapi.json, so a route added later is covered without a list.
 */
import { describe, expect, it } from "vitest";
import { VENDOR, call, checkout, createPool, freshAddress, type TestPool } from "./helpers";

interface Operation {
  method: string;
  path: string;
  operationId: string;
  security?: Array<Record<string, string[]>>;
}

async function bearerOperations(): Promise<Operation[]> {
  const doc = (await call("GET", "/openapi.json")).body;
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, Operation>>)) {
    for (const [method, op] of Object.entries(item)) {
      if (op.security?.some((s) => "bearer" in s)) out.push({ ...op, method: method.toUpperCase(), path });
    }
  }
  return out;
}

function concrete(path: string, pool: TestPool, seatId: string, sessionId: string): string {
  return path.replace("{poolId}", pool.poolId).replace("{seatId}", seatId).replace("{sessionId}", sessionId)
    .replace("{adminId}", "ADFFFFFFFFFFFFFF").replace("{staffId}", "SF0000000000000");
}

const garbageBodies = [
  { rawBody: "{not json" },
  { body: { seats: "many", customer: 42, endSessions: "yes" } },
  { body: [1, 2, 3] },
  { rawBody: "x".repeat(2000), headers: { "content-type": "text/plain" } },
];
/** A GET carries no body: its garbage is the query string. */
const garbageQuery = `?limit=0&before=abc&bucket=week&from=yesterday&after=${"z".repeat(100)}`;

function garbageFor(method: string, path: string): Array<{ path: string; rawBody?: string; body?: unknown; headers?: Record<string, string> }> {
  return method === "GET" ? [{ path: path + garbageQuery }] : garbageBodies.map((g) => ({ ...g, path }));
}

describe("auth before validation", () => {
  it("answers 401 to no credential or a wrong one whatever the body, on every admin and session route", async () => {
    const pool = await createPool(2);
    const held = await checkout(pool, { user: "ann", machine: "PC-1" });
    expect(held.status).toBe(201);
    const { seatId, sessionId, token } = held.body;
    const forgedAdminKey = pool.adminKey.slice(0, -5) + (pool.adminKey.endsWith("AAAAA") ? "BBBBB" : "AAAAA");
    const operations = await bearerOperations();
    const adminOps = operations.filter((o) => o.path.startsWith("/v1/pools") || o.path.startsWith("/v1/staff") || o.path.startsWith("/v1/webhooks"));
    const sessionOps = operations.filter((o) => o.path.startsWith("/v1/sessions/"));
    expect(adminOps.map((o) => o.operationId).sort()).toEqual(
      [
        "addAdmin", "createPool", "createStaff", "createVendorWebhook", "createWebhook", "deletePool", "erasePerson", "exportPool", "freeSeat", "getPool", "getSeatAdvice", "getUsage",
        "listAdmins", "listEvents", "listPools", "listQueue", "listSeats", "listStaff", "listVendorWebhooks", "listWebhookDeliveries", "listWebhooks", "removeAdmin",
        "removeFromQueue", "removeStaff", "removeVendorWebhook", "removeWebhook", "replaceStaffToken", "rotateAdminKey", "rotateCredentials", "updatePool", "updateStaff",
      ],
    );
    expect(sessionOps.map((o) => o.operationId).sort()).toEqual(["borrowSeat", "getSession", "heartbeat", "openLiveChannel", "releaseSession"]);

    for (const op of adminOps) {
      const path = concrete(op.path, pool, seatId, sessionId);
      const poolScoped = op.path.includes("{poolId}");
      const wrong = ["not-the-vendor-token", ...(poolScoped ? [forgedAdminKey] : [])];
      for (const { path: target, ...body } of garbageFor(op.method, path)) {
        const label = `${op.method} ${target} ${JSON.stringify(body).slice(0, 60)}`;
        const none = await call(op.method, target, { ...body, address: freshAddress() });
        expect(none.status, `${label} without a credential → ${JSON.stringify(none.body)}`).toBe(401);
        expect(none.body.error.code).toBe("unauthorized");
        for (const credential of wrong) {
          const res = await call(op.method, target, { ...body, token: credential, address: freshAddress() });
          expect(res.status, `${label} with ${credential.slice(0, 8)}… → ${JSON.stringify(res.body)}`).toBe(401);
          expect(res.body.error.code).toBe("unauthorized");
        }
      }
    }

    for (const op of sessionOps) {
      const path = concrete(op.path, pool, seatId, sessionId);
      for (const { path: target, ...body } of garbageFor(op.method, path)) {
        for (const credential of [undefined, "not-a-token", token.slice(0, -4) + "AAAA"]) {
          const res = await call(op.method, target, { ...body, token: credential, address: freshAddress() });
          expect(res.status, `${op.method} ${target} → ${JSON.stringify(res.body)}`).toBe(401);
          expect(res.body.error.code).toBe("invalid_token");
        }
      }
    }

    // nothing above reached the pool: the seat is still held, the settings unchanged
    const after = await call("GET", `/v1/pools/${pool.poolId}`, { token: VENDOR });
    expect(after.body).toMatchObject({ customer: "Acme Ltd", seats: 2, inUse: 1, serial: pool.serial });
    expect((await call("GET", `/v1/sessions/${sessionId}`, { token })).body.active).toBe(true);
  });

  it("validates the body once the caller is known", async () => {
    const pool = await createPool(1);
    const res = await call("PATCH", `/v1/pools/${pool.poolId}`, { token: pool.adminKey, rawBody: "{not json" });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_request");
    const wrongType = await call("POST", "/v1/pools", { token: VENDOR, rawBody: "{}", headers: { "content-type": "text/plain" } });
    expect(wrongType.status).toBe(415);
    expect(wrongType.body.error.code).toBe("unsupported_media_type");
  });

  it("a pool admin key is forbidden on vendor routes and other pools, before the body is read", async () => {
    const own = await createPool(1);
    const other = await createPool(1);
    const create = await call("POST", "/v1/pools", { token: own.adminKey, rawBody: "{not json" });
    expect(create.status).toBe(403);
    expect(create.body.error.code).toBe("forbidden");
    const foreign = await call("PATCH", `/v1/pools/${other.poolId}`, { token: own.adminKey, rawBody: "{not json" });
    expect(foreign.status).toBe(403);
    expect(foreign.body.error.code).toBe("forbidden");
  });

  it("consults the failure limiter before a pool records a bad vendor token, and records nothing once over it", async () => {
    const pool = await createPool(1);
    const address = freshAddress();
    // failed authentications are counted, not logged one by one: one event per address and minute, with a count
    const failures = async () =>
      (await call("GET", `/v1/pools/${pool.poolId}/events?limit=500`, { token: VENDOR })).body.events
        .filter((e: { type: string; details: { reason?: string } | null }) => e.type === "auth_failed" && e.details?.reason === "bad_vendor_token")
        .reduce((n: number, e: { details: { count: number } }) => n + e.details.count, 0);
    for (let i = 0; i < 10; i++) expect((await call("GET", `/v1/pools/${pool.poolId}`, { token: "guess-" + i, address })).status).toBe(401);
    expect(await failures()).toBe(10);
    for (let i = 0; i < 5; i++) expect((await call("GET", `/v1/pools/${pool.poolId}`, { token: "guess-more-" + i, address })).status).toBe(429);
    expect(await failures()).toBe(10);
    // the right credential from that address still works
    expect((await call("GET", `/v1/pools/${pool.poolId}`, { token: VENDOR, address })).status).toBe(200);
  });
});
