import { afterEach, describe, expect, it } from "vitest";
import { VENDOR, call, checkout, createPool, freshAddress, recordsOf, type PoolRecords, type TestPool } from "./helpers";

type Role = "vendor token" | "owner" | "sales" | "support" | "viewer" | "disabled staff" | "pool admin" | "other pool's admin" | "none";
const roles: Role[] = ["vendor token", "owner", "sales", "support", "viewer", "disabled staff", "pool admin", "other pool's admin", "none"];

let counter = 0;
const uniqueEmail = (who: string) => `${who}-${++counter}-${crypto.randomUUID().slice(0, 8)}@vendor.example`;

async function addStaff(role: string, name = "Jo"): Promise<{ staffId: string; email: string; token: string }> {
  const res = await call("POST", "/v1/staff", { token: VENDOR, body: { email: uniqueEmail(role), name, role } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

interface World {
  own: TestPool;
  other: TestPool;
  seatId: string;
  /** a second admin of `own`, so one can be removed */
  secondAdminId: string;
  /** a staff member for the staff endpoints to act on */
  target: { staffId: string; email: string };
}

interface Endpoint {
  name: string;
  request: (w: World) => [string, string, unknown?];
  /** who may, written out here rather than read from the code's matrix, so the test can disagree with it */
  may: Role[];
  status: number;
  /** whether an allowed call writes an event naming its actor on `own` */
  logs?: string;
}

const readers: Role[] = ["vendor token", "owner", "sales", "support", "viewer", "pool admin"];
const supporters: Role[] = ["vendor token", "owner", "sales", "support", "pool admin"];
const settingsChangers: Role[] = ["vendor token", "owner", "sales", "pool admin"];
const owners: Role[] = ["vendor token", "owner"];

const endpoints: Endpoint[] = [
  { name: "show pool", request: (w) => ["GET", `/v1/pools/${w.own.poolId}`], may: readers, status: 200 },
  { name: "rename pool", request: (w) => ["PATCH", `/v1/pools/${w.own.poolId}`, { customer: "Renamed Ltd" }], may: settingsChangers, status: 200, logs: "pool_updated" },
  { name: "add seats", request: (w) => ["PATCH", `/v1/pools/${w.own.poolId}`, { seats: 50 }], may: ["vendor token", "owner", "sales"], status: 200, logs: "pool_updated" },
  { name: "list seats", request: (w) => ["GET", `/v1/pools/${w.own.poolId}/seats`], may: readers, status: 200 },
  { name: "free seat", request: (w) => ["DELETE", `/v1/pools/${w.own.poolId}/seats/${w.seatId}`], may: supporters, status: 200, logs: "freed" },
  { name: "events", request: (w) => ["GET", `/v1/pools/${w.own.poolId}/events`], may: readers, status: 200 },
  { name: "usage", request: (w) => ["GET", `/v1/pools/${w.own.poolId}/usage`], may: readers, status: 200 },
  { name: "rotate credentials", request: (w) => ["POST", `/v1/pools/${w.own.poolId}/credentials`, { endSessions: false }], may: supporters, status: 201, logs: "credentials_rotated" },
  { name: "rotate admin key", request: (w) => ["POST", `/v1/pools/${w.own.poolId}/admin-keys`], may: supporters, status: 201, logs: "admin_key_rotated" },
  { name: "list admins", request: (w) => ["GET", `/v1/pools/${w.own.poolId}/admins`], may: readers, status: 200 },
  { name: "add admin", request: (w) => ["POST", `/v1/pools/${w.own.poolId}/admins`, { name: "Pat" }], may: supporters, status: 201, logs: "admin_added" },
  { name: "remove admin", request: (w) => ["DELETE", `/v1/pools/${w.own.poolId}/admins/${w.secondAdminId}`], may: supporters, status: 200, logs: "admin_removed" },
  { name: "create pool", request: () => ["POST", "/v1/pools", { customer: "New Ltd", seats: 3 }], may: ["vendor token", "owner", "sales"], status: 201 },
  { name: "list pools", request: () => ["GET", "/v1/pools?limit=1"], may: ["vendor token", "owner", "sales", "support", "viewer"], status: 200 },
  { name: "add staff", request: () => ["POST", "/v1/staff", { email: uniqueEmail("new"), name: "New", role: "viewer" }], may: owners, status: 201 },
  { name: "list staff", request: () => ["GET", "/v1/staff"], may: owners, status: 200 },
  { name: "change staff", request: (w) => ["PATCH", `/v1/staff/${w.target.staffId}`, { role: "sales" }], may: owners, status: 200 },
  { name: "remove staff", request: (w) => ["DELETE", `/v1/staff/${w.target.staffId}`], may: owners, status: 200 },
  { name: "new staff token", request: (w) => ["POST", `/v1/staff/${w.target.staffId}/tokens`], may: owners, status: 201 },
  { name: "list the queue", request: (w) => ["GET", `/v1/pools/${w.own.poolId}/queue`], may: readers, status: 200 },
  // no such ticket: a role that may remove waiters gets past the matrix to the pool's own answer
  { name: "remove a waiter", request: (w) => ["DELETE", `/v1/pools/${w.own.poolId}/queue/tkt_none`], may: supporters, status: 404 },
  { name: "seat advice", request: (w) => ["GET", `/v1/pools/${w.own.poolId}/advice`], may: readers, status: 200 },
  { name: "list webhooks", request: (w) => ["GET", `/v1/pools/${w.own.poolId}/webhooks`], may: readers, status: 200 },
  { name: "add a webhook", request: (w) => ["POST", `/v1/pools/${w.own.poolId}/webhooks`, { url: "https://hooks.example.com/seatkeeper", events: ["seat.freed"] }], may: settingsChangers, status: 201 },
  { name: "list vendor-wide webhooks", request: () => ["GET", "/v1/webhooks"], may: ["vendor token", "owner", "sales", "support", "viewer"], status: 200 },
  { name: "add a vendor-wide webhook", request: () => ["POST", "/v1/webhooks", { url: "https://crm.vendor.example/seatkeeper", events: ["seat.freed"] }], may: owners, status: 201 },
  // no such webhook: a role that may remove them gets past the matrix to the directory's own answer
  { name: "remove a vendor-wide webhook", request: () => ["DELETE", "/v1/webhooks/wh_none"], may: owners, status: 404 },
  { name: "export", request: (w) => ["GET", `/v1/pools/${w.own.poolId}/export`], may: supporters, status: 200 },
  { name: "erase a person", request: (w) => ["POST", `/v1/pools/${w.own.poolId}/erasure`, { user: "nobody" }], may: supporters, status: 200, logs: "erased" },
];

async function world(): Promise<World> {
  const own = await createPool(5);
  const other = await createPool(5);
  const seat = await checkout(own, { user: "ann", machine: "PC-1" });
  const second = await call("POST", `/v1/pools/${own.poolId}/admins`, { token: VENDOR, body: { name: "Second" } });
  expect(second.status).toBe(201);
  const target = await addStaff("viewer", "Target");
  return { own, other, seatId: seat.body.seatId, secondAdminId: second.body.adminId, target };
}

/** The credential a role calls with, and how events name that caller. */
async function credentialFor(role: Role, w: World): Promise<{ token?: string; actor?: string }> {
  switch (role) {
    case "vendor token": return { token: VENDOR, actor: "vendor" };
    case "pool admin": return { token: w.own.adminKey, actor: "admin:first admin" };
    case "other pool's admin": return { token: w.other.adminKey };
    case "none": return {};
    case "disabled staff": {
      const s = await addStaff("owner");
      expect((await call("PATCH", `/v1/staff/${s.staffId}`, { token: VENDOR, body: { disabled: true } })).status).toBe(200);
      return { token: s.token };
    }
    default: {
      const s = await addStaff(role);
      return { token: s.token, actor: `staff:${s.email}` };
    }
  }
}

interface Snapshot {
  own: PoolRecords;
  other: PoolRecords;
  admins: unknown;
  target: unknown;
  vendorWebhooks: unknown;
}

async function snapshot(w: World): Promise<Snapshot> {
  const quiet = (r: PoolRecords) => ({ ...r, events: r.events.filter((t) => t !== "auth_failed") });
  const admins = await call("GET", `/v1/pools/${w.own.poolId}/admins`, { token: VENDOR });
  const staff = await call("GET", "/v1/staff", { token: VENDOR });
  return {
    own: quiet(await recordsOf(w.own)),
    other: quiet(await recordsOf(w.other)),
    admins: admins.body.admins,
    target: staff.body.staff.find((s: { staffId: string }) => s.staffId === w.target.staffId),
    vendorWebhooks: (await call("GET", "/v1/webhooks", { token: VENDOR })).body.webhooks,
  };
}

// a vendor-wide webhook would get every later test's pool events: each test leaves none behind
afterEach(async () => {
  for (const w of (await call("GET", "/v1/webhooks", { token: VENDOR })).body.webhooks) await call("DELETE", `/v1/webhooks/${w.webhookId}`, { token: VENDOR });
});

describe("the role matrix, for every endpoint and every role", () => {
  for (const endpoint of endpoints) {
    for (const role of roles) {
      const allowed = endpoint.may.includes(role);
      const expected = allowed ? "succeeds" : role === "none" || role === "disabled staff" ? "unauthorized" : "forbidden";
      it(`${endpoint.name} as ${role}: ${expected}`, async () => {
        const w = await world();
        const who = await credentialFor(role, w);
        const [method, path, body] = endpoint.request(w);
        const before = await snapshot(w);
        const res = await call(method, path, { token: who.token, body, address: freshAddress() });
        const after = await snapshot(w);
        expect(after.other).toEqual(before.other);
        if (allowed) {
          expect(res.status, JSON.stringify(res.body)).toBe(endpoint.status);
          if (endpoint.logs) {
            const events = (await call("GET", `/v1/pools/${w.own.poolId}/events`, { token: VENDOR })).body.events;
            expect(events.find((e: { type: string }) => e.type === endpoint.logs)?.actor).toBe(who.actor);
          }
          return;
        }
        expect(after).toEqual(before);
        expect(res.status, JSON.stringify(res.body)).toBe(expected === "forbidden" ? 403 : 401);
        expect(res.body.error.code).toBe(expected);
        if (expected === "forbidden") {
          const named = role === "pool admin" || role === "other pool's admin" ? "admin" : role;
          expect(res.body.error.details.role).toBe(named);
        }
        expect(JSON.stringify(res.body)).not.toContain(w.own.serial);
      });
    }
  }
});

describe("staff tokens", () => {
  it("are shown once, and a new one retires the old one", async () => {
    const jo = await addStaff("support");
    expect(jo.token).toMatch(/^ST-[0-9A-Z]{5}(-[0-9A-Z]{5}){4}$/);
    const listed = (await call("GET", "/v1/staff", { token: VENDOR })).body.staff;
    expect(listed.find((s: { staffId: string }) => s.staffId === jo.staffId)).toEqual({
      staffId: jo.staffId, email: jo.email, name: "Jo", role: "support", disabled: false, createdAt: expect.any(String),
    });
    expect(JSON.stringify(listed)).not.toContain(jo.token.slice(3, 20));
    // the person replaces their own token; an owner is not needed for that
    const fresh = await call("POST", `/v1/staff/${jo.staffId}/tokens`, { token: jo.token });
    expect(fresh.status, JSON.stringify(fresh.body)).toBe(201);
    expect(fresh.body.token).not.toBe(jo.token);
    expect((await call("GET", "/v1/pools?limit=1", { token: jo.token, address: freshAddress() })).status).toBe(401);
    expect((await call("GET", "/v1/pools?limit=1", { token: fresh.body.token })).status).toBe(200);
    // but not somebody else's
    const other = await addStaff("viewer");
    const theirs = await call("POST", `/v1/staff/${other.staffId}/tokens`, { token: fresh.body.token });
    expect(theirs.status).toBe(403);
    expect(theirs.body.error.details.role).toBe("support");
  });

  it("accept the token in any letter case and without dashes", async () => {
    const jo = await addStaff("viewer");
    const typed = jo.token.toLowerCase().replace(/-/g, "");
    expect((await call("GET", "/v1/pools?limit=1", { token: typed })).status).toBe(200);
  });

  it("refuse a disabled person at once, and work again when re-enabled", async () => {
    const jo = await addStaff("owner");
    expect((await call("PATCH", `/v1/staff/${jo.staffId}`, { token: VENDOR, body: { disabled: true } })).body.disabled).toBe(true);
    const refused = await call("GET", "/v1/staff", { token: jo.token, address: freshAddress() });
    expect(refused.status).toBe(401);
    expect(refused.body.error.message).toMatch(/disabled/);
    await call("PATCH", `/v1/staff/${jo.staffId}`, { token: VENDOR, body: { disabled: false } });
    expect((await call("GET", "/v1/staff", { token: jo.token })).status).toBe(200);
  });

  it("refuse a removed person, and a second record with the same e-mail address", async () => {
    const jo = await addStaff("sales");
    const again = await call("POST", "/v1/staff", { token: VENDOR, body: { email: ` ${jo.email.toUpperCase()} `, name: "Jo again", role: "viewer" } });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("conflict");
    expect((await call("DELETE", `/v1/staff/${jo.staffId}`, { token: VENDOR })).status).toBe(200);
    expect((await call("GET", "/v1/pools?limit=1", { token: jo.token, address: freshAddress() })).status).toBe(401);
    expect((await call("DELETE", `/v1/staff/${jo.staffId}`, { token: VENDOR })).status).toBe(404);
  });

  it("check the credential before the body: a stranger gets 401 whatever they send", async () => {
    const res = await call("POST", "/v1/staff", { body: { email: "not an address" }, address: freshAddress() });
    expect(res.status).toBe(401);
    const bad = await call("POST", "/v1/staff", { token: VENDOR, body: { email: "not an address", name: "X", role: "boss" } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.issues.map((i: { path: string }) => i.path).sort()).toEqual(["email", "role"]);
  });

  it("name the person in the events of what they did", async () => {
    const pool = await createPool(2);
    const jo = await addStaff("sales");
    const created = await call("POST", "/v1/pools", { token: jo.token, body: { customer: "Jo's customer", seats: 1 } });
    expect(created.status).toBe(201);
    const events = (await call("GET", `/v1/pools/${created.body.poolId}/events`, { token: VENDOR })).body.events;
    expect(events.find((e: { type: string }) => e.type === "pool_created").actor).toBe(`staff:${jo.email}`);
    await call("PATCH", `/v1/pools/${pool.poolId}`, { token: jo.token, body: { seats: 4 } });
    const updated = (await call("GET", `/v1/pools/${pool.poolId}/events`, { token: VENDOR })).body.events[0];
    expect(updated).toMatchObject({ type: "pool_updated", actor: `staff:${jo.email}`, details: { seats: { from: 2, to: 4 } } });
  });
});
