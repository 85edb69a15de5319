import { describe, expect, it } from "vitest";
import { VENDOR, call, checkout, createPool, freshAddress, recordsOf, type PoolRecords, type TestPool } from "./helpers";

type Role = "vendor" | "own admin" | "other pool's admin" | "forged admin key" | "none";

/** Refused attempts are recorded (auth_failed), rightly; everything else must be as expected. */
async function snapshot(pool: TestPool): Promise<PoolRecords> {
  const r = await recordsOf(pool);
  return { ...r, events: r.events.filter((t) => t !== "auth_failed") };
}

interface Endpoint {
  name: string;
  request: (pool: TestPool, seatId: string) => [string, string, unknown?];
  /** what a pool admin may not do even on its own pool */
  vendorOnly?: boolean;
  /** the status an allowed call answers */
  status: number;
  /** the pool as it must read back after an allowed call; unchanged when absent */
  after?: (before: PoolRecords, body: any) => PoolRecords;
}

const logged = (s: PoolRecords, type: string) => [type, ...s.events];
const endpoints: Endpoint[] = [
  { name: "show pool", request: (p) => ["GET", `/v1/pools/${p.poolId}`], status: 200 },
  {
    name: "rename pool", request: (p) => ["PATCH", `/v1/pools/${p.poolId}`, { customer: "Renamed Ltd" }], status: 200,
    after: (s) => ({ ...s, pool: { ...s.pool, customer: "Renamed Ltd" }, events: logged(s, "pool_updated") }),
  },
  {
    name: "set min version", request: (p) => ["PATCH", `/v1/pools/${p.poolId}`, { minClientVersion: "1" }], status: 200,
    after: (s) => ({ ...s, pool: { ...s.pool, minClientVersion: "1" }, events: logged(s, "pool_updated") }),
  },
  {
    name: "add seats", request: (p) => ["PATCH", `/v1/pools/${p.poolId}`, { seats: 50 }], vendorOnly: true, status: 200,
    after: (s) => ({ ...s, pool: { ...s.pool, seats: 50 }, events: logged(s, "pool_updated") }),
  },
  { name: "list seats", request: (p) => ["GET", `/v1/pools/${p.poolId}/seats`], status: 200 },
  {
    name: "free seat", request: (p, seat) => ["DELETE", `/v1/pools/${p.poolId}/seats/${seat}`], status: 200,
    after: (s) => ({ ...s, pool: { ...s.pool, inUse: 0 }, seats: [], audit: { inUse: 0, activeSeats: 0, activeSessions: 0 }, events: logged(s, "freed") }),
  },
  { name: "events", request: (p) => ["GET", `/v1/pools/${p.poolId}/events`], status: 200 },
  { name: "usage", request: (p) => ["GET", `/v1/pools/${p.poolId}/usage`], status: 200 },
  {
    name: "rotate credentials", request: (p) => ["POST", `/v1/pools/${p.poolId}/credentials`, { endSessions: false }], status: 201,
    after: (s, body) => ({ ...s, pool: { ...s.pool, serial: body.serial }, events: logged(s, "credentials_rotated") }),
  },
  {
    name: "rotate admin key", request: (p) => ["POST", `/v1/pools/${p.poolId}/admin-keys`], status: 201,
    after: (s) => ({ ...s, adminKeyWorks: false, events: logged(s, "admin_key_rotated") }),
  },
];

async function freshPair() {
  const own = await createPool(5);
  const other = await createPool(5);
  const seat = await checkout(own, { user: "ann", machine: "PC-1" });
  return { own, other, seatId: seat.body.seatId as string };
}

function credentialFor(role: Role, own: TestPool, other: TestPool): string | undefined {
  switch (role) {
    case "vendor": return VENDOR;
    case "own admin": return own.adminKey;
    case "other pool's admin": return other.adminKey;
    case "forged admin key": return own.adminKey.slice(0, -5) + (own.adminKey.endsWith("AAAAA") ? "BBBBB" : "AAAAA");
    case "none": return undefined;
  }
}

describe("who can reach which pool", () => {
  const roles: Role[] = ["vendor", "own admin", "other pool's admin", "forged admin key", "none"];
  for (const endpoint of endpoints) {
    for (const role of roles) {
      const allowed = role === "vendor" || (role === "own admin" && !endpoint.vendorOnly);
      const expected =
        allowed ? "succeeds"
        : role === "none" || role === "forged admin key" ? "unauthorized"
        : "forbidden";
      it(`${endpoint.name} as ${role}: ${expected}`, async () => {
        const { own, other, seatId } = await freshPair();
        const [method, path, body] = endpoint.request(own, seatId);
        const [ownBefore, otherBefore] = [await snapshot(own), await snapshot(other)];
        const res = await call(method, path, { token: credentialFor(role, own, other), body, address: freshAddress() });
        // Read both pools back: an allowed call did exactly its work, a refused one none at all.
        const [ownAfter, otherAfter] = [await snapshot(own), await snapshot(other)];
        expect(otherAfter).toEqual(otherBefore);
        if (allowed) {
          expect(res.status, JSON.stringify(res.body)).toBe(endpoint.status);
          expect(ownAfter).toEqual(endpoint.after ? endpoint.after(ownBefore, res.body) : ownBefore);
          if (endpoint.after) expect(ownAfter).not.toEqual(ownBefore);
        } else {
          expect(ownAfter).toEqual(ownBefore);
          expect(res.status, JSON.stringify(res.body)).toBe(expected === "forbidden" ? 403 : 401);
          expect(res.body.error.code).toBe(expected);
          // never data: no pool fields leak into an error
          expect(JSON.stringify(res.body)).not.toContain("Acme Ltd");
          expect(JSON.stringify(res.body)).not.toContain(own.serial);
        }
      });
    }
  }

  it("keeps the vendor-only endpoints away from pool admins", async () => {
    const { own } = await freshPair();
    const list = await call("GET", "/v1/pools", { token: own.adminKey });
    expect(list.status).toBe(403);
    expect(list.body.error.code).toBe("forbidden");
    const create = await call("POST", "/v1/pools", { token: own.adminKey, body: { customer: "Me", seats: 100 } });
    expect(create.status).toBe(403);
    const seats = await call("PATCH", `/v1/pools/${own.poolId}`, { token: own.adminKey, body: { seats: 100 } });
    expect(seats.status).toBe(403);
    expect(seats.body.error.message).toMatch(/vendor/i);
    expect((await call("GET", `/v1/pools/${own.poolId}`, { token: VENDOR })).body.seats).toBe(5);
  });

  it("answers an unknown pool with not_found for the vendor", async () => {
    const res = await call("GET", "/v1/pools/not-a-pool-id", { token: VENDOR });
    expect(res.status).toBe(404);
    const wellFormed = await call("GET", "/v1/pools/GAAAAAAAAAAAAAAA", { token: VENDOR });
    expect(wellFormed.status).toBe(404);
    expect(wellFormed.body.error.code).toBe("not_found");
  });

  it("lists every pool for the vendor with live seats in use", async () => {
    const pool = await createPool(7);
    await checkout(pool, { user: "x", machine: "y" });
    const all: any[] = [];
    let after: string | undefined;
    do {
      const page = await call("GET", `/v1/pools?limit=2${after ? `&after=${after}` : ""}`, { token: VENDOR });
      expect(page.status).toBe(200);
      all.push(...page.body.pools);
      after = page.body.next ?? undefined;
    } while (after);
    expect(all.find((p) => p.poolId === pool.poolId)).toEqual({ poolId: pool.poolId, customer: "Acme Ltd", seats: 7, inUse: 1, region: "global", locationHint: null });
    expect(new Set(all.map((p) => p.poolId)).size).toBe(all.length);
  });

  it("retires the old admin key when a new one is issued", async () => {
    const pool = await createPool(1);
    const res = await call("POST", `/v1/pools/${pool.poolId}/admin-keys`, { token: pool.adminKey });
    expect(res.status).toBe(201);
    expect(res.body.adminKey).not.toBe(pool.adminKey);
    expect((await call("GET", `/v1/pools/${pool.poolId}`, { token: pool.adminKey, address: freshAddress() })).status).toBe(401);
    expect((await call("GET", `/v1/pools/${pool.poolId}`, { token: res.body.adminKey })).status).toBe(200);
  });
});
