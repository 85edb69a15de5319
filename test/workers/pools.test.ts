import { describe, expect, it } from "vitest";
import { VENDOR, auditOf, call, checkout, createPool, release } from "./helpers";

describe("changing a pool", () => {
  it("adds seats (vendor) so a turned-away user gets in", async () => {
    const pool = await createPool(1);
    await checkout(pool, { user: "ann", machine: "PC-1" });
    expect((await checkout(pool, { user: "bob", machine: "PC-2" })).status).toBe(409);
    const patched = await call("PATCH", `/v1/pools/${pool.poolId}`, { token: VENDOR, body: { seats: 2 } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ seats: 2, inUse: 1, serial: pool.serial });
    expect((await checkout(pool, { user: "bob", machine: "PC-2" })).status).toBe(201);
  });

  it("lowers seats below those in use without ending anyone, refusing new checkouts until usage drops below", async () => {
    const pool = await createPool(3);
    const sessions = await Promise.all(["a", "b", "c"].map((u) => checkout(pool, { user: u, machine: "PC" })));
    const patched = await call("PATCH", `/v1/pools/${pool.poolId}`, { token: VENDOR, body: { seats: 1 } });
    expect(patched.body).toMatchObject({ seats: 1, inUse: 3 });
    expect(await auditOf(pool)).toEqual({ inUse: 3, activeSeats: 3, activeSessions: 3 });
    const refused = await checkout(pool, { user: "d", machine: "PC" });
    expect(refused.body.error).toMatchObject({ code: "pool_full", details: { seats: 1, inUse: 3 } });
    // holders still join their own seat
    expect((await checkout(pool, { user: "a", machine: "PC" })).status).toBe(201);
    await release(sessions[1]!.body.sessionId, sessions[1]!.body.token);
    expect((await checkout(pool, { user: "d", machine: "PC" })).status).toBe(409);
    await release(sessions[2]!.body.sessionId, sessions[2]!.body.token);
    // one seat (a's) in use of one: still full
    expect((await checkout(pool, { user: "d", machine: "PC" })).status).toBe(409);
  });

  it("lets a pool admin rename the pool and set its policies, and shows the change to the vendor's list", async () => {
    const pool = await createPool(4);
    const res = await call("PATCH", `/v1/pools/${pool.poolId}`, {
      token: pool.adminKey,
      body: { customer: "Acme Engineering", minClientVersion: "16.0", staleAfterHours: 72 },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ customer: "Acme Engineering", minClientVersion: "16.0", staleAfterHours: 72, seats: 4 });
    const cleared = await call("PATCH", `/v1/pools/${pool.poolId}`, { token: pool.adminKey, body: { minClientVersion: null, staleAfterHours: null } });
    expect(cleared.body).toMatchObject({ minClientVersion: null, staleAfterHours: null });
    const list = (await call("GET", "/v1/pools?limit=1000", { token: VENDOR })).body.pools;
    expect(list.find((p: any) => p.poolId === pool.poolId)).toMatchObject({ customer: "Acme Engineering", seats: 4 });
    const events = (await call("GET", `/v1/pools/${pool.poolId}/events`, { token: VENDOR })).body.events;
    expect(events[1]).toMatchObject({
      type: "pool_updated", actor: "admin:first admin",
      details: { customer: { from: "Acme Ltd", to: "Acme Engineering" }, minClientVersion: { from: null, to: "16.0" } },
    });
  });
});

describe("version gating", () => {
  it("refuses clients below the minimum, or that send none, with 426 and the minimum", async () => {
    const pool = await createPool(5, { minClientVersion: "16" });
    for (const clientVersion of [undefined, "15", "15.9.9", "9.99"]) {
      const res = await checkout(pool, { user: "ann", machine: "PC-1", ...(clientVersion ? { clientVersion } : {}) });
      expect(res.status).toBe(426);
      expect(res.body.error).toMatchObject({ code: "client_version_unsupported", details: { minClientVersion: "16" } });
    }
    for (const clientVersion of ["16", "16.0.2", "17.0"]) {
      const res = await checkout(pool, { user: `u${clientVersion}`, machine: "PC-1", clientVersion });
      expect(res.status).toBe(201);
    }
    const raised = await call("PATCH", `/v1/pools/${pool.poolId}`, { token: pool.adminKey, body: { minClientVersion: "16.0.3" } });
    expect(raised.status).toBe(200);
    expect((await checkout(pool, { user: "z", machine: "PC-1", clientVersion: "16.0.2" })).status).toBe(426);
    expect((await checkout(pool, { user: "z", machine: "PC-1", clientVersion: "16.0.10" })).status).toBe(201);
  });
});
