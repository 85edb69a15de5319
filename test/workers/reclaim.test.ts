import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { VENDOR, auditOf, call, checkout, createPool, heartbeat, openSocket, seatsOf, type TestPool } from "./helpers";

const stubOf = (pool: TestPool) => env.POOL.get(env.POOL.idFromName(pool.poolId));
const bearerOf = (token: string) => ({ authorization: `Bearer ${token}` });
const minutesAgo = (n: number) => new Date(Date.now() - n * 60_000).toISOString();

async function reclaimingPool(seats: number, idleMinutes: number, graceMinutes: number) {
  const pool = await createPool(seats);
  const set = await call("PATCH", `/v1/pools/${pool.poolId}`, { token: pool.adminKey, body: { reclaimIdleMinutes: idleMinutes, reclaimGraceMinutes: graceMinutes } });
  expect(set.status, JSON.stringify(set.body)).toBe(200);
  expect(set.body).toMatchObject({ reclaimIdleMinutes: idleMinutes, reclaimGraceMinutes: graceMinutes });
  return pool;
}

async function wait(pool: TestPool, user: string) {
  const res = await call("POST", "/v1/sessions", { body: { serial: pool.serial, productKey: pool.productKey, user, machine: `W-${user}`, wait: true } });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body as { ticketId: string; token: string };
}

const ticketOf = (t: { ticketId: string; token: string }) => call("GET", `/v1/tickets/${t.ticketId}`, { token: t.token });

/** A holder with its live channel open, told idle since `since`; resolves once the seat list shows it idle. */
async function idleHolder(pool: TestPool, user: string, since: string) {
  const s = await checkout(pool, { user, machine: `PC-${user}` });
  expect(s.status).toBe(201);
  const live = await openSocket(`/v1/sessions/${s.body.sessionId}/live`, bearerOf(s.body.token));
  await live.next(1); // hello
  live.ws.send(JSON.stringify({ type: "idle", since }));
  await until(async () => (await seatsOf(pool)).find((x) => x.seatId === s.body.seatId)?.idleSince !== null);
  return { ...(s.body as { sessionId: string; token: string; seatId: string }), live };
}

async function until(check: () => Promise<boolean>) {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("never came true");
}

/** Makes every reclaim timer due and runs the alarm, as if the grace had passed. */
async function deadlinePasses(pool: TestPool) {
  await runInDurableObject(stubOf(pool), async (instance, state) => {
    state.storage.sql.exec("UPDATE timers SET due_at = 0 WHERE kind = 'reclaim'");
    await instance.alarm!();
  });
}

async function eventTypes(pool: TestPool): Promise<string[]> {
  const res = await call("GET", `/v1/pools/${pool.poolId}/events?limit=100`, { token: VENDOR });
  return res.body.events.map((e: { type: string }) => e.type).reverse();
}

describe("taking idle seats back for someone waiting", () => {
  it("checks its settings: null by default, 1..1440 and 0..60, shown on the pool", async () => {
    const pool = await createPool(1);
    expect((await call("GET", `/v1/pools/${pool.poolId}`, { token: pool.adminKey })).body).toMatchObject({ reclaimIdleMinutes: null, reclaimGraceMinutes: 5 });
    for (const body of [{ reclaimIdleMinutes: 0 }, { reclaimIdleMinutes: 1441 }, { reclaimGraceMinutes: 61 }, { reclaimGraceMinutes: -1 }, { reclaimIdleMinutes: "5" }]) {
      const res = await call("PATCH", `/v1/pools/${pool.poolId}`, { token: pool.adminKey, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe("invalid_request");
    }
    expect((await call("GET", `/v1/pools/${pool.poolId}`, { token: pool.adminKey })).body).toMatchObject({ reclaimIdleMinutes: null, reclaimGraceMinutes: 5 });
  });

  it("takes back one idle seat for one waiter, not every idle seat", async () => {
    const pool = await reclaimingPool(3, 1, 0);
    await idleHolder(pool, "ann", minutesAgo(5));
    await idleHolder(pool, "cy", minutesAgo(5));
    await checkout(pool, { user: "dee", machine: "PC-dee" }); // the pool is full
    const bob = await wait(pool, "bob");
    expect((await ticketOf(bob)).body).toMatchObject({ state: "granted" });
    const types = await eventTypes(pool);
    expect(types.filter((t) => t === "reclaimed")).toHaveLength(1);
    // the other idle holder keeps its seat: the pool is full again, with one seat given to bob
    const users = (await seatsOf(pool)).map((s) => s.user);
    expect(users).toHaveLength(3);
    expect(users).toEqual(expect.arrayContaining(["bob", "dee"]));
    expect(users.filter((u) => u === "ann" || u === "cy")).toHaveLength(1);
  });

  it("grace 0: an idle connected seat is taken back at once when someone waits, and the waiter gets it in that transaction", async () => {
    const pool = await reclaimingPool(1, 1, 0);
    const ann = await idleHolder(pool, "ann", minutesAgo(2));
    const bob = await wait(pool, "bob");
    expect(JSON.parse(await ann.live.next(2))).toMatchObject({ type: "reclaim", reason: "waiting" });
    expect(JSON.parse(await ann.live.next(3))).toEqual({ type: "ended", reason: "reclaimed" });
    expect((await ann.live.closed).code).toBe(1000);
    expect((await ticketOf(bob)).body).toMatchObject({ state: "granted", pool: { inUse: 1 } });
    const beat = await heartbeat(ann.sessionId, ann.token);
    expect(beat.status).toBe(410);
    expect(beat.body.error.details.reason).toBe("reclaimed");
    expect((await eventTypes(pool)).slice(-4)).toEqual(["queued", "reclaimed", "checkout", "granted"]);
    expect(await auditOf(pool)).toEqual({ inUse: 1, activeSeats: 1, activeSessions: 1 });
  });

  it("with grace: warned with the deadline; active cancels; idle again warns again; at the deadline the seat goes, with seat.reclaimed in the outbox", async () => {
    const pool = await reclaimingPool(1, 1, 5);
    await stubOf(pool).addWebhook({ role: "vendor" }, { webhookId: "wh_rec", url: "http://127.0.0.1:9/", events: ["seat.reclaimed"], secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" });
    const ann = await idleHolder(pool, "ann", minutesAgo(3));
    const bob = await wait(pool, "bob");
    const warned = JSON.parse(await ann.live.next(2));
    expect(warned).toMatchObject({ type: "reclaim", reason: "waiting" });
    const left = Date.parse(warned.deadline) - Date.now();
    expect(left).toBeGreaterThan(4 * 60_000);
    expect(left).toBeLessThanOrEqual(5 * 60_000);

    ann.live.ws.send(JSON.stringify({ type: "active" }));
    expect(JSON.parse(await ann.live.next(3))).toEqual({ type: "reclaim_cancelled" });
    await deadlinePasses(pool); // the cancelled deadline is gone: nothing happens
    expect((await ticketOf(bob)).body.state).toBe("waiting");
    expect(await seatsOf(pool)).toHaveLength(1);

    ann.live.ws.send(JSON.stringify({ type: "idle", since: minutesAgo(2) }));
    expect(JSON.parse(await ann.live.next(4))).toMatchObject({ type: "reclaim" });
    await deadlinePasses(pool);
    expect(JSON.parse(await ann.live.next(5))).toEqual({ type: "ended", reason: "reclaimed" });
    expect((await ticketOf(bob)).body.state).toBe("granted");
    const [seat] = await seatsOf(pool);
    expect(seat.user).toBe("bob");
    const deliveries = (await call("GET", `/v1/pools/${pool.poolId}/webhooks/wh_rec/deliveries`, { token: VENDOR })).body.deliveries;
    expect(deliveries.map((d: { type: string }) => d.type)).toEqual(["seat.reclaimed"]);
    const payload = await runInDurableObject(stubOf(pool), (_i, state) => JSON.parse(state.storage.sql.exec<{ payload: string }>("SELECT payload FROM deliveries").one().payload));
    expect(payload).toMatchObject({ type: "seat.reclaimed", data: { poolId: pool.poolId, seatId: ann.seatId, user: "ann", machine: "PC-ann" } });
  });

  it("the line emptying lets the warned seat off; a seat without a connected client, or in use, is never taken", async () => {
    const pool = await reclaimingPool(2, 1, 5);
    const ann = await idleHolder(pool, "ann", minutesAgo(3));
    // cat holds the other seat with no channel and no beat: not connected
    const cat = await checkout(pool, { user: "cat", machine: "PC-cat" });
    expect(cat.status).toBe(201);
    const bob = await wait(pool, "bob");
    expect(JSON.parse(await ann.live.next(2))).toMatchObject({ type: "reclaim" });
    expect((await call("DELETE", `/v1/tickets/${bob.ticketId}`, { token: bob.token })).body).toEqual({ left: true });
    expect(JSON.parse(await ann.live.next(3))).toEqual({ type: "reclaim_cancelled" });
    await deadlinePasses(pool);
    expect(await seatsOf(pool)).toHaveLength(2);

    // someone waits again, ann is back in use: only cat's unconnected seat is idle-unknown, and it stays
    ann.live.ws.send(JSON.stringify({ type: "active" }));
    await until(async () => (await seatsOf(pool)).find((x) => x.seatId === ann.seatId)?.idleSince === null);
    const dan = await wait(pool, "dan");
    await deadlinePasses(pool);
    expect((await ticketOf(dan)).body.state).toBe("waiting");
    const seats = await seatsOf(pool);
    expect(seats.map((s) => [s.user, s.connected])).toEqual([["ann", true], ["cat", false]]);
  });

  it("by heartbeat: an HTTP-only client that says it is idle is taken back (grace 0), and told so at its next beat", async () => {
    const pool = await reclaimingPool(1, 1, 0);
    const ann = await checkout(pool, { user: "ann", machine: "PC-1" });
    const beat = (body?: unknown) => call("POST", `/v1/sessions/${ann.body.sessionId}/heartbeat`, { token: ann.body.token, ...(body === undefined ? {} : { body }) });
    expect((await beat({ idleSince: minutesAgo(5) })).status).toBe(200);
    const [seat] = await seatsOf(pool);
    expect(seat).toMatchObject({ connected: false });
    expect(Date.parse(seat.idleSince)).toBeLessThan(Date.now() - 4 * 60_000);
    const bob = await wait(pool, "bob");
    expect((await ticketOf(bob)).body.state).toBe("granted");
    const after = await beat();
    expect(after.status).toBe(410);
    expect(after.body.error.details.reason).toBe("reclaimed");
  });

  it("a seat not yet idle long enough gets its idle check on the timers, at the minute it becomes due, and is taken then", async () => {
    const pool = await reclaimingPool(1, 1, 0);
    const ann = await checkout(pool, { user: "ann", machine: "PC-1" });
    const idleSince = new Date(Date.now() - 59_700).toISOString();
    expect((await call("POST", `/v1/sessions/${ann.body.sessionId}/heartbeat`, { token: ann.body.token, body: { idleSince } })).status).toBe(200);
    const bob = await wait(pool, "bob");
    const check = () =>
      runInDurableObject(stubOf(pool), (_i, state) => state.storage.sql.exec<{ due_at: number }>("SELECT due_at FROM timers WHERE kind = 'reclaim' AND key = ''").toArray()[0]?.due_at);
    expect(await check()).toBe(Date.parse(idleSince) + 60_000);
    expect((await ticketOf(bob)).body.state).toBe("waiting");
    await new Promise((r) => setTimeout(r, 400)); // past the minute of idleness
    await deadlinePasses(pool);
    expect((await ticketOf(bob)).body.state).toBe("granted");
    expect(await check()).toBeUndefined();
    const events = (await call("GET", `/v1/pools/${pool.poolId}/events?limit=10`, { token: VENDOR })).body.events;
    expect(events.find((e: any) => e.type === "reclaimed")).toMatchObject({ user: "ann", seatId: ann.body.seatId, details: { idleSince, sessionsEnded: 1 } });
  });
});
