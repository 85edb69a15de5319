import { describe, expect, it } from "vitest";
import { VENDOR, auditOf, call, checkout, createPool, expectError, freshAddress, openSocket, seatsOf, type TestPool } from "./helpers";

const openLive = (sessionId: string, token: string) => openSocket(`/v1/sessions/${sessionId}/live`, { authorization: `Bearer ${token}` });

/** Waits until the pool has taken in what the channel said: the seat list shows it idle, or not. */
async function untilIdle(pool: TestPool, seatId: string, idle: boolean) {
  for (let i = 0; i < 250; i++) {
    const seat = (await seatsOf(pool)).find((s) => s.seatId === seatId);
    if ((seat?.idleSince != null) === idle) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`the seat never showed ${idle ? "idle" : "in use"}`);
}

const selfRelease = (pool: TestPool, seatId: string, user: string, machine: string, productKey = pool.productKey) =>
  call("POST", `/v1/seats/${seatId}/release`, { body: { serial: pool.serial, productKey, user, machine }, address: freshAddress() });

describe("releasing your own seat from another machine", () => {
  it("a full pool names the user's seats elsewhere; a connected active holder cannot be released, an idle or absent one can", async () => {
    const pool = await createPool(2);
    const office = await checkout(pool, { user: "ann", machine: "OFFICE-PC" });
    await checkout(pool, { user: "bob", machine: "PC-2" });
    const full = await checkout(pool, { user: "ANN", machine: "LAPTOP" });
    expectError(full, 409, "pool_full");
    expect(full.body.error.details.ownSeats).toEqual([
      expect.objectContaining({ seatId: office.body.seatId, machine: "OFFICE-PC", terminalSession: null, connected: false }),
    ]);

    const live = await openLive(office.body.sessionId, office.body.token);
    await live.next(1); // hello: the channel is open
    const refused = await selfRelease(pool, office.body.seatId, "ann", "LAPTOP");
    expectError(refused, 409, "seat_active");
    expect((await checkout(pool, { user: "ann", machine: "LAPTOP" })).body.error.details.ownSeats[0].connected).toBe(true);

    live.ws.send(JSON.stringify({ type: "idle", since: new Date(Date.now() - 60_000).toISOString() }));
    await untilIdle(pool, office.body.seatId, true);
    live.ws.send(JSON.stringify({ type: "active" }));
    await untilIdle(pool, office.body.seatId, false);
    expectError(await selfRelease(pool, office.body.seatId, "ann", "LAPTOP"), 409, "seat_active");
    live.ws.send(JSON.stringify({ type: "idle", since: new Date().toISOString() }));
    await untilIdle(pool, office.body.seatId, true);
    const freed = await selfRelease(pool, office.body.seatId, " Ann ", "LAPTOP");
    expect(freed.status, JSON.stringify(freed.body)).toBe(200);
    expect(freed.body).toMatchObject({ freed: true, pool: { seats: 2, inUse: 1 } });
    await live.closed;
    expect(live.messages.at(-1)).toBe(JSON.stringify({ type: "ended", reason: "freed" }));
    const events = (await call("GET", `/v1/pools/${pool.poolId}/events`, { token: VENDOR })).body.events;
    expect(events[0]).toMatchObject({ type: "freed", actor: "self:Ann@LAPTOP", seatId: office.body.seatId, user: "ann" });
    expect((await checkout(pool, { user: "ann", machine: "LAPTOP" })).status).toBe(201);
    expect(await auditOf(pool)).toEqual({ inUse: 2, activeSeats: 2, activeSessions: 2 });
  });

  it("only one's own seat, only with the pool's credentials", async () => {
    const pool = await createPool(1);
    const bob = await checkout(pool, { user: "bob", machine: "PC-2" });
    expectError(await selfRelease(pool, bob.body.seatId, "ann", "LAPTOP"), 404, "not_found");
    expectError(await selfRelease(pool, bob.body.seatId, "bob", "LAPTOP", "WRONG-KEY"), 401, "invalid_credentials");
    expectError(await selfRelease(pool, "seat_nope", "bob", "LAPTOP"), 404, "not_found");
    expectError(await call("POST", `/v1/seats/${bob.body.seatId}/release`, { body: { serial: pool.serial } }), 400, "invalid_request");
    expect(await auditOf(pool)).toEqual({ inUse: 1, activeSeats: 1, activeSessions: 1 });
  });

  it("a pool can turn it off with selfRelease: false", async () => {
    const pool = await createPool(1);
    expect((await call("GET", `/v1/pools/${pool.poolId}`, { token: pool.adminKey })).body.selfRelease).toBe(true);
    const bob = await checkout(pool, { user: "bob", machine: "PC-2" });
    const off = await call("PATCH", `/v1/pools/${pool.poolId}`, { token: pool.adminKey, body: { selfRelease: false } });
    expect(off.status).toBe(200);
    expect(off.body.selfRelease).toBe(false);
    expectError(await selfRelease(pool, bob.body.seatId, "bob", "LAPTOP"), 403, "forbidden");
    expect(await auditOf(pool)).toEqual({ inUse: 1, activeSeats: 1, activeSessions: 1 });
    const created = await createPool(1, { selfRelease: false });
    expect((await call("GET", `/v1/pools/${created.poolId}`, { token: VENDOR })).body.selfRelease).toBe(false);
  });
});
