import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { VENDOR, auditOf, call, checkout, createPool, expectError, heartbeat, openSocket, release, sessionStatus, upgradeTo, type TestPool } from "./helpers";

function stubOf(poolId: string) {
  return env.POOL.get(env.POOL.idFromName(poolId));
}

const ticketOf = (id: string, token: string) => call("GET", `/v1/tickets/${id}`, { token });
const leave = (id: string, token: string) => call("DELETE", `/v1/tickets/${id}`, { token });

/** Moves one ticket's timers (and what they look at) `ms` into the past, then runs the object's alarm handler, as if that time had passed. */
async function passTime(pool: TestPool, ticketId: string, ms: number) {
  await runInDurableObject(stubOf(pool.poolId), async (instance, state) => {
    state.storage.sql.exec("UPDATE tickets SET seen_at = seen_at - ?, granted_at = granted_at - ? WHERE ticket_id = ?", ms, ms, ticketId);
    state.storage.sql.exec("UPDATE timers SET due_at = due_at - ? WHERE key = ?", ms, ticketId);
    await instance.alarm!();
  });
}

async function eventsOf(pool: TestPool): Promise<any[]> {
  const all: any[] = [];
  let before: string | null = null;
  do {
    const res = await call("GET", `/v1/pools/${pool.poolId}/events?limit=500${before ? `&before=${before}` : ""}`, { token: VENDOR });
    expect(res.status).toBe(200);
    all.push(...res.body.events);
    before = res.body.next;
  } while (before);
  return all.reverse(); // oldest first
}

async function queueOf(pool: TestPool) {
  const res = await call("GET", `/v1/pools/${pool.poolId}/queue`, { token: pool.adminKey });
  expect(res.status).toBe(200);
  return res.body.waiting as any[];
}

async function fill(pool: TestPool, n: number) {
  const held = [];
  for (let i = 0; i < n; i++) {
    const s = await checkout(pool, { user: `holder${i}`, machine: `H-${i}` });
    expect(s.status).toBe(201);
    held.push(s.body as { sessionId: string; token: string });
  }
  return held;
}

async function enqueue(pool: TestPool, user: string) {
  const res = await call("POST", "/v1/sessions", { body: { serial: pool.serial, productKey: pool.productKey, user, machine: `W-${user}`, wait: true } });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body as { ticketId: string; token: string; position: number; waiting: number };
}

describe("waiting for a seat", () => {
  it("a full pool queues a checkout that asks to wait; the same identity gets the same ticket, and without wait it is still pool_full", async () => {
    const pool = await createPool(1);
    await fill(pool, 1);
    expectError(await checkout(pool, { user: "ann", machine: "PC-1" }), 409, "pool_full");
    const a = await enqueue(pool, "ann");
    expect(a).toMatchObject({ position: 1, waiting: 1, pool: { seats: 1, inUse: 1 } });
    expect(a.ticketId).toMatch(/^tkt_/);
    const again = await call("POST", "/v1/sessions", { body: { serial: pool.serial, productKey: pool.productKey, user: " ANN ", machine: "w-ann", wait: true } });
    expect(again.status).toBe(202);
    expect(again.body.ticketId).toBe(a.ticketId);
    const b = await enqueue(pool, "bob");
    expect([b.position, b.waiting]).toEqual([2, 2]);
    expect(await ticketOf(b.ticketId, b.token)).toMatchObject({ status: 200, body: { ticketId: b.ticketId, state: "waiting", position: 2, waiting: 2 } });
    expect((await queueOf(pool)).map((w) => [w.user, w.position])).toEqual([["ann", 1], ["bob", 2]]);
  });

  it("a ticket token and a session token are not interchangeable", async () => {
    const pool = await createPool(1);
    const [h] = await fill(pool, 1);
    const a = await enqueue(pool, "ann");
    expectError(await ticketOf(a.ticketId, h!.token), 401, "invalid_token");
    expectError(await sessionStatus(a.ticketId, a.token), 401, "invalid_token");
    expectError(await release(h!.sessionId, a.token), 401, "invalid_token");
    expectError(await ticketOf(a.ticketId, "nonsense"), 401, "invalid_token");
    const b = await enqueue(pool, "bob");
    expectError(await ticketOf(a.ticketId, b.token), 401, "invalid_token");
  });

  it("a release hands the seat to the first waiter at once: picked up with the ticket, a working session", async () => {
    const pool = await createPool(1);
    const [h] = await fill(pool, 1);
    const a = await enqueue(pool, "ann");
    const b = await enqueue(pool, "bob");
    expect((await release(h!.sessionId, h!.token)).body).toMatchObject({ released: true, seatFreed: true, pool: { inUse: 1 } });
    // nobody can take the seat in between: it is already ann's
    expectError(await checkout(pool, { user: "carl", machine: "PC-9" }), 409, "pool_full");
    const got = await ticketOf(a.ticketId, a.token);
    expect(got.body).toMatchObject({ state: "granted", seatShared: false, pool: { seats: 1, inUse: 1 } });
    const st = await sessionStatus(got.body.sessionId, got.body.token);
    expect(st.body).toMatchObject({ user: "ann", machine: "W-ann", active: true });
    expect((await ticketOf(b.ticketId, b.token)).body).toMatchObject({ state: "waiting", position: 1, waiting: 1 });
    // fetched again: the same session
    expect((await ticketOf(a.ticketId, a.token)).body.sessionId).toBe(got.body.sessionId);
    expect(await auditOf(pool)).toEqual({ inUse: 1, activeSeats: 1, activeSessions: 1 });
    const types = (await eventsOf(pool)).map((e) => e.type);
    expect(types.slice(-4)).toEqual(["release", "checkout", "granted", "denied"]);
  });

  it("an admin's free, and a revocation, hand over too; more seats serve the waiters before anyone new", async () => {
    const pool = await createPool(2);
    await fill(pool, 2);
    const seats = (await call("GET", `/v1/pools/${pool.poolId}/seats`, { token: VENDOR })).body.seats;
    const a = await enqueue(pool, "ann");
    const b = await enqueue(pool, "bob");
    const c = await enqueue(pool, "cat");
    expect((await call("DELETE", `/v1/pools/${pool.poolId}/seats/${seats[0].seatId}`, { token: pool.adminKey })).status).toBe(200);
    expect((await ticketOf(a.ticketId, a.token)).body.state).toBe("granted");
    expect((await call("POST", `/v1/pools/${pool.poolId}/credentials`, { token: pool.adminKey, body: { endSessions: true } })).status).toBe(201);
    // everyone's seat ended: bob and cat get the two seats
    expect((await ticketOf(b.ticketId, b.token)).body.state).toBe("granted");
    expect((await ticketOf(c.ticketId, c.token)).body.state).toBe("granted");
    expect(await auditOf(pool)).toEqual({ inUse: 2, activeSeats: 2, activeSessions: 2 });

    const pool2 = await createPool(1);
    await fill(pool2, 1);
    const d = await enqueue(pool2, "dan");
    expect((await call("PATCH", `/v1/pools/${pool2.poolId}`, { token: VENDOR, body: { seats: 2 } })).status).toBe(200);
    expect((await ticketOf(d.ticketId, d.token)).body).toMatchObject({ state: "granted", pool: { seats: 2, inUse: 2 } });
  });

  it("a waiter that goes away lapses, and the next is served", async () => {
    const pool = await createPool(1);
    const [h] = await fill(pool, 1);
    const a = await enqueue(pool, "ann");
    const b = await enqueue(pool, "bob");
    await passTime(pool, b.ticketId, 30_000); // bob polled 30 s ago: still present
    expect((await ticketOf(b.ticketId, b.token)).body.state).toBe("waiting");
    await passTime(pool, a.ticketId, 61_000);
    expect((await queueOf(pool)).map((w) => w.user)).toEqual(["bob"]);
    expect((await ticketOf(a.ticketId, a.token)).body).toEqual({ ticketId: a.ticketId, state: "lapsed" });
    await release(h!.sessionId, h!.token);
    expect((await ticketOf(b.ticketId, b.token)).body.state).toBe("granted");
    const lapsed = (await eventsOf(pool)).filter((e) => e.type === "lapsed");
    expect(lapsed).toHaveLength(1);
    expect(lapsed[0]).toMatchObject({ user: "ann", details: { ticketId: a.ticketId } });
  });

  it("a seat granted and not picked up ends lapsed after 120 s and goes to the next waiter", async () => {
    const pool = await createPool(1);
    const [h] = await fill(pool, 1);
    const a = await enqueue(pool, "ann");
    const b = await enqueue(pool, "bob");
    await release(h!.sessionId, h!.token);
    const annSession = (await eventsOf(pool)).find((e) => e.type === "granted").sessionId;
    await passTime(pool, a.ticketId, 119_000);
    expect((await queueOf(pool)).map((w) => w.user)).toEqual(["bob"]); // still ann's, for one more second
    await passTime(pool, a.ticketId, 2_000);
    expect((await ticketOf(a.ticketId, a.token)).body.state).toBe("lapsed");
    expect((await ticketOf(b.ticketId, b.token)).body.state).toBe("granted");
    const ended = (await eventsOf(pool)).find((e) => e.type === "lapsed");
    expect(ended).toMatchObject({ user: "ann", sessionId: null, details: { ticketId: a.ticketId, sessionsEnded: 1 } });
    await runInDurableObject(stubOf(pool.poolId), (_i, state) => {
      expect(state.storage.sql.exec("SELECT end_reason FROM sessions WHERE session_id = ?", annSession).one().end_reason).toBe("lapsed");
    });
    expect(await auditOf(pool)).toEqual({ inUse: 1, activeSeats: 1, activeSessions: 1 });
  });

  it("leaving: a waiter leaves the line; a granted seat not yet picked up passes on; an admin removes a waiter", async () => {
    const pool = await createPool(1);
    const [h] = await fill(pool, 1);
    const a = await enqueue(pool, "ann");
    const b = await enqueue(pool, "bob");
    const c = await enqueue(pool, "cat");
    await release(h!.sessionId, h!.token); // ann is granted, has not fetched it
    expect((await leave(a.ticketId, a.token)).body).toEqual({ left: true });
    expect((await leave(a.ticketId, a.token)).body).toEqual({ left: false });
    expect((await ticketOf(a.ticketId, a.token)).body.state).toBe("cancelled");
    expect((await ticketOf(b.ticketId, b.token)).body.state).toBe("granted");
    expect((await queueOf(pool)).map((w) => w.user)).toEqual(["cat"]);
    expect((await call("DELETE", `/v1/pools/${pool.poolId}/queue/${c.ticketId}`, { token: pool.adminKey })).body).toEqual({ removed: true });
    expectError(await call("DELETE", `/v1/pools/${pool.poolId}/queue/${c.ticketId}`, { token: pool.adminKey }), 404, "not_found");
    expect(await queueOf(pool)).toEqual([]);
    expect((await ticketOf(c.ticketId, c.token)).body.state).toBe("cancelled");
    const left = (await eventsOf(pool)).filter((e) => e.type === "left_queue");
    expect(left.map((e) => [e.user, e.actor])).toEqual([["ann", null], ["cat", "admin:first admin"]]);
    expect(await auditOf(pool)).toEqual({ inUse: 1, activeSeats: 1, activeSessions: 1 });
  });

  it("first come, first served under a storm: 5 seats, 100 waiters, holders released at random", async () => {
    const pool = await createPool(5);
    const holders: { sessionId: string; token: string }[] = await fill(pool, 5);
    const tickets: { ticketId: string; token: string }[] = [];
    for (let i = 0; i < 100; i++) tickets.push(await enqueue(pool, `w${String(i).padStart(3, "0")}`));
    const pending = new Map(tickets.map((t) => [t.ticketId, t]));
    let rounds = 0;
    while (pending.size > 0 && rounds++ < 500) {
      // release one to three holders at once, chosen at random
      const n = Math.min(holders.length, 1 + Math.floor(Math.random() * 3));
      const out = holders.splice(0, 0);
      for (let i = 0; i < n; i++) out.push(...holders.splice(Math.floor(Math.random() * holders.length), 1));
      await Promise.all(out.map((h) => release(h.sessionId, h.token)));
      const audit = await auditOf(pool);
      expect(audit.inUse).toBeLessThanOrEqual(5);
      expect(audit.activeSeats).toBe(audit.inUse);
      // no seat stays free while someone waits
      if (pending.size > n) expect(audit.inUse).toBe(5);
      // the waiters poll (presence) and pick up what they were given
      const polls = await Promise.all([...pending.values()].map(async (t) => [t, (await ticketOf(t.ticketId, t.token)).body] as const));
      for (const [t, body] of polls) {
        if (body.state === "granted") {
          pending.delete(t.ticketId);
          holders.push({ sessionId: body.sessionId, token: body.token });
        } else expect(body.state).toBe("waiting");
      }
    }
    expect(pending.size).toBe(0);
    const events = await eventsOf(pool);
    const queued = events.filter((e) => e.type === "queued").map((e) => e.details.ticketId);
    const granted = events.filter((e) => e.type === "granted").map((e) => e.details.ticketId);
    expect(queued).toEqual(tickets.map((t) => t.ticketId));
    expect(granted).toEqual(queued);
    // every grant follows the freeing of a seat, and never more held than the pool has
    let level = 0;
    for (const e of events) {
      if (e.type === "checkout") level++;
      if (e.type === "release" && e.details.seatFreed) level--;
      expect(level).toBeLessThanOrEqual(5);
    }
    const usage = await call("GET", `/v1/pools/${pool.poolId}/usage`, { token: VENDOR });
    expect(usage.body.buckets.reduce((n: number, b: any) => n + (b.waits ?? 0), 0)).toBe(100);
    // the last burst may free seats nobody waits for any more
    expect(holders.length).toBeLessThanOrEqual(5);
    expect(await auditOf(pool)).toEqual({ inUse: holders.length, activeSeats: holders.length, activeSessions: holders.length });
  });
});

const ticketLive = (id: string, headers: Record<string, string>) => openSocket(`/v1/tickets/${id}/live`, headers);
const bearerOf = (token: string) => ({ authorization: `Bearer ${token}` });

describe("the ticket's live channel", () => {
  it("tells each waiter its place as the line moves, then pushes the grant with a working token; pushed counts as picked up", async () => {
    const pool = await createPool(1);
    const [h] = await fill(pool, 1);
    const a = await enqueue(pool, "ann");
    const b = await enqueue(pool, "bob");
    const la = await ticketLive(a.ticketId, bearerOf(a.token));
    const lb = await ticketLive(b.ticketId, { "Sec-WebSocket-Protocol": `seatkeeper.v1, bearer.${b.token}` });
    expect(lb.res.headers.get("sec-websocket-protocol")).toBe("seatkeeper.v1");
    expect(JSON.parse(await la.next(1))).toEqual({ type: "position", position: 1, waiting: 2 });
    expect(JSON.parse(await lb.next(1))).toEqual({ type: "position", position: 2, waiting: 2 });
    // a third joins: the line's length changed for both
    const c = await enqueue(pool, "cat");
    expect(JSON.parse(await la.next(2))).toEqual({ type: "position", position: 1, waiting: 3 });
    expect(JSON.parse(await lb.next(2))).toEqual({ type: "position", position: 2, waiting: 3 });

    await release(h!.sessionId, h!.token);
    const granted = JSON.parse(await la.next(3));
    expect(granted).toMatchObject({ type: "granted", ticketId: a.ticketId, seatShared: false, pool: { poolId: pool.poolId, seats: 1, inUse: 1 } });
    expect(Object.keys(granted).sort()).toEqual(["pool", "seatId", "seatShared", "sessionId", "ticketId", "token", "type"]);
    expect((await la.closed).code).toBe(1000);
    // the pushed token is a session token that works
    expect((await heartbeat(granted.sessionId, granted.token)).status).toBe(200);
    expect(JSON.parse(await lb.next(3))).toEqual({ type: "position", position: 1, waiting: 2 });
    // picked up by the push: the 120 s pickup lapse does not end ann's seat
    await passTime(pool, a.ticketId, 200_000);
    expect((await sessionStatus(granted.sessionId, granted.token)).body.active).toBe(true);
    // the poll answers the same fields, the same session
    const polled = (await ticketOf(a.ticketId, a.token)).body;
    expect(polled).toMatchObject({ state: "granted", sessionId: granted.sessionId, seatId: granted.seatId, seatShared: false });
    expect(Object.keys(polled).sort()).toEqual(["pool", "seatId", "seatShared", "sessionId", "state", "ticketId", "token"]);
    void c;
  });

  it("opened on a seat granted while it was closed: the grant is pushed at once, and that is the pickup", async () => {
    const pool = await createPool(1);
    const [h] = await fill(pool, 1);
    const a = await enqueue(pool, "ann");
    await release(h!.sessionId, h!.token);
    const la = await ticketLive(a.ticketId, bearerOf(a.token));
    const granted = JSON.parse(await la.next(1));
    expect(granted).toMatchObject({ type: "granted", ticketId: a.ticketId, seatShared: false, pool: { inUse: 1 } });
    expect((await la.closed).code).toBe(1000);
    await passTime(pool, a.ticketId, 200_000);
    expect((await sessionStatus(granted.sessionId, granted.token)).body).toMatchObject({ user: "ann", active: true });
  });

  it("is presence: an open channel does not lapse; once it closes the 60 s count from then", async () => {
    const pool = await createPool(1);
    await fill(pool, 1);
    const a = await enqueue(pool, "ann");
    const la = await ticketLive(a.ticketId, bearerOf(a.token));
    await la.next(1);
    await passTime(pool, a.ticketId, 120_000); // not polled for two minutes, but connected
    expect((await queueOf(pool)).map((w) => w.user)).toEqual(["ann"]);
    la.ws.close(1000, "bye");
    await la.closed;
    // the close was a sighting: 30 s later it still waits, 61 s later it lapsed
    await passTime(pool, a.ticketId, 30_000);
    expect((await queueOf(pool)).map((w) => w.user)).toEqual(["ann"]);
    await passTime(pool, a.ticketId, 31_000);
    expect(await queueOf(pool)).toEqual([]);
  });

  it("ends with the reason and a close: removed by an admin (cancelled), lapsed; an ended ticket's channel says so at once", async () => {
    const pool = await createPool(1);
    await fill(pool, 1);
    const a = await enqueue(pool, "ann");
    const b = await enqueue(pool, "bob");
    const la = await ticketLive(a.ticketId, bearerOf(a.token));
    const lb = await ticketLive(b.ticketId, bearerOf(b.token));
    await la.next(1);
    await lb.next(1);
    expect((await call("DELETE", `/v1/pools/${pool.poolId}/queue/${a.ticketId}`, { token: pool.adminKey })).status).toBe(200);
    expect(JSON.parse(await la.next(2))).toEqual({ type: "ended", reason: "cancelled" });
    expect((await la.closed).code).toBe(1000);
    expect(JSON.parse(await lb.next(2))).toEqual({ type: "position", position: 1, waiting: 1 });
    // bob's channel closes, then his presence runs out
    lb.ws.close(1000, "bye");
    await lb.closed;
    await passTime(pool, b.ticketId, 61_000);
    expect((await ticketOf(b.ticketId, b.token)).body.state).toBe("lapsed");
    const again = await ticketLive(b.ticketId, bearerOf(b.token));
    expect(JSON.parse(await again.next(1))).toEqual({ type: "ended", reason: "lapsed" });
    expect((await again.closed).code).toBe(1000);
  });

  it("refuses before any upgrade: no or a foreign token 401, a plain GET 400, an unknown ticket 404", async () => {
    const pool = await createPool(1);
    const [h] = await fill(pool, 1);
    const a = await enqueue(pool, "ann");
    const b = await enqueue(pool, "bob");
    const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as any });
    const path = `/v1/tickets/${a.ticketId}/live`;
    expectError(await json(await upgradeTo(path, { Upgrade: "websocket" })), 401, "invalid_token");
    expectError(await json(await upgradeTo(path, { Upgrade: "websocket", ...bearerOf(b.token) })), 401, "invalid_token");
    expectError(await json(await upgradeTo(path, { Upgrade: "websocket", ...bearerOf(h!.token) })), 401, "invalid_token");
    expectError(await json(await upgradeTo(path, bearerOf(a.token))), 400, "upgrade_required");
    // a genuine ticket token of this pool for a ticket it does not hold
    await runInDurableObject(stubOf(pool.poolId), (_i, state) => {
      state.storage.sql.exec("DELETE FROM tickets WHERE ticket_id = ?", a.ticketId);
    });
    expectError(await json(await upgradeTo(path, { Upgrade: "websocket", ...bearerOf(a.token) })), 404, "not_found");
  });
});

describe("the queue and the pool's policy, webhooks", () => {
  it("queue.waiting: once per ticket when it has waited 5 minutes, with the waiter in its data", async () => {
    const pool = await createPool(1);
    await fill(pool, 1);
    await stubOf(pool.poolId).addWebhook({ role: "vendor" }, { webhookId: "wh_wait", url: "http://127.0.0.1:9/", events: ["queue.waiting"], secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" });
    const a = await enqueue(pool, "ann");
    const b = await enqueue(pool, "bob");
    /** Moves the waits `ms` back (not the presence: nobody lapses) and runs the alarm; answers the queue.waiting payloads so far. */
    const waited = (ms: number) =>
      runInDurableObject(stubOf(pool.poolId), async (instance, state) => {
        state.storage.sql.exec("UPDATE tickets SET since = since - ?", ms);
        state.storage.sql.exec("UPDATE timers SET due_at = due_at - ? WHERE kind = 'queue_waiting'", ms);
        await instance.alarm!();
        return state.storage.sql.exec<{ payload: string }>("SELECT payload FROM deliveries WHERE type = 'queue.waiting' ORDER BY at, payload").toArray().map((r) => JSON.parse(r.payload));
      });
    expect(await waited(4 * 60_000)).toEqual([]); // four minutes: not yet
    const sent = await waited(60_000 + 1000);
    expect(sent.map((d) => d.data.ticketId).sort()).toEqual([a.ticketId, b.ticketId].sort());
    const annSent = sent.find((d) => d.data.ticketId === a.ticketId);
    expect(annSent).toMatchObject({ type: "queue.waiting", data: { poolId: pool.poolId, user: "ann", machine: "W-ann", terminalSession: null, position: 1, waiting: 2 } });
    expect(annSent.data.waitedSeconds).toBeGreaterThanOrEqual(300);
    expect(Date.now() - Date.parse(annSent.data.since)).toBeGreaterThanOrEqual(300_000);
    expect(await waited(10 * 60_000)).toHaveLength(2); // once per ticket
    const c = await enqueue(pool, "cat");
    expect(await waited(5 * 60_000 + 1000)).toHaveLength(3);
    expect((await waited(5 * 60_000)).filter((d) => d.data.ticketId === c.ticketId)).toHaveLength(1);
    const log = (await call("GET", `/v1/pools/${pool.poolId}/webhooks/wh_wait/deliveries`, { token: VENDOR })).body.deliveries;
    expect(log.map((d: { type: string }) => d.type)).toEqual(["queue.waiting", "queue.waiting", "queue.waiting"]);
  });

  it("a group's reserved seat goes to that group's waiter though another waited longer; a group at its max is passed over", async () => {
    const pool = await createPool(2);
    expect((await call("PATCH", `/v1/pools/${pool.poolId}`, { token: pool.adminKey, body: { groups: { Eng: { reserved: 1 }, Sales: { max: 1 } } } })).status).toBe(200);
    const eng = await checkout(pool, { user: "eve", machine: "E-1", group: "Eng" });
    const sales = await checkout(pool, { user: "sam", machine: "S-1", group: "sales" });
    expect([eng.status, sales.status]).toEqual([201, 201]);
    const wait = async (user: string, group?: string) => {
      const res = await call("POST", "/v1/sessions", { body: { serial: pool.serial, productKey: pool.productKey, user, machine: `W-${user}`, wait: true, ...(group ? { group } : {}) } });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      return res.body as { ticketId: string; token: string };
    };
    const ann = await wait("ann"); // no group, first in line
    const ed = await wait("ed", "ENG");
    // eve's seat frees: Eng is below its reservation, so ed gets it before ann
    await release(eng.body.sessionId, eng.body.token);
    expect((await ticketOf(ed.ticketId, ed.token)).body.state).toBe("granted");
    expect((await ticketOf(ann.ticketId, ann.token)).body.state).toBe("waiting");
    const seats = (await call("GET", `/v1/pools/${pool.poolId}/seats`, { token: VENDOR })).body.seats;
    expect(seats.find((s: any) => s.user === "ed").group).toBe("eng");

    expect(await auditOf(pool)).toEqual({ inUse: 2, activeSeats: 2, activeSessions: 2 });

    // a group that reached its max while its members waited: its next waiter is passed over for the one behind
    const pool2 = await createPool(3);
    expect((await call("PATCH", `/v1/pools/${pool2.poolId}`, { token: pool2.adminKey, body: { groups: { Sales: { max: 1 } } } })).status).toBe(200);
    const [h0, h1] = await fill(pool2, 3);
    const wait2 = async (user: string, group?: string) => {
      const res = await call("POST", "/v1/sessions", { body: { serial: pool2.serial, productKey: pool2.productKey, user, machine: `W-${user}`, wait: true, ...(group ? { group } : {}) } });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      return res.body as { ticketId: string; token: string };
    };
    const sue = await wait2("sue", "Sales");
    const sid = await wait2("sid", "sales");
    const carl = await wait2("carl");
    await release(h0!.sessionId, h0!.token);
    expect((await ticketOf(sue.ticketId, sue.token)).body.state).toBe("granted"); // Sales now holds its max
    await release(h1!.sessionId, h1!.token);
    expect((await ticketOf(carl.ticketId, carl.token)).body.state).toBe("granted");
    expect((await ticketOf(sid.ticketId, sid.token)).body).toMatchObject({ state: "waiting", position: 1, waiting: 1 });
    expect(await auditOf(pool2)).toEqual({ inUse: 3, activeSeats: 3, activeSessions: 3 });
  });
});
