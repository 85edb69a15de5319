import { env, runInDurableObject } from "cloudflare:test";
import { createLocalJWKSet, decodeJwt, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { auditOf, call, checkout, createPool, expectError, heartbeat, poolOf, release, seatsOf, VENDOR, type TestPool } from "./helpers";

const DAY = 86_400_000;
const HOUR = 3_600_000;

function stubOf(poolId: string) {
  return env.POOL.get(env.POOL.idFromName(poolId));
}

async function allowBorrowing(pool: TestPool, settings: Record<string, unknown>) {
  const res = await call("PATCH", `/v1/pools/${pool.poolId}`, { token: VENDOR, body: settings });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

function borrow(sessionId: string, token: string, days: unknown) {
  return call("POST", `/v1/sessions/${sessionId}/borrow`, { token, body: { days } });
}

/** Moves every timer and every seat's last sighting into the past by `ms`, as if that time had passed. */
async function passTime(poolId: string, ms: number) {
  await runInDurableObject(stubOf(poolId), async (instance, state) => {
    state.storage.sql.exec("UPDATE timers SET due_at = due_at - ?", ms);
    state.storage.sql.exec("UPDATE borrows SET until = until - ?", ms);
    state.storage.sql.exec("UPDATE seats SET last_seen_at = last_seen_at - ?", ms);
    state.storage.sql.exec("UPDATE sessions SET last_seen_at = last_seen_at - ?", ms);
    await instance.alarm!();
  });
}

async function eventTypes(pool: TestPool): Promise<string[]> {
  const res = await call("GET", `/v1/pools/${pool.poolId}/events?limit=100`, { token: VENDOR });
  return res.body.events.map((e: { type: string }) => e.type);
}

describe("borrowing a seat to work offline", () => {
  it("is off by default: 403 borrow_not_allowed with maxBorrowDays null", async () => {
    const pool = await createPool(2);
    expect((await poolOf(pool)).maxBorrowDays).toBeNull();
    const s = await checkout(pool, { user: "ann", machine: "laptop" });
    const res = await borrow(s.body.sessionId, s.body.token, 3);
    expectError(res, 403, "borrow_not_allowed");
    expect(res.body.error.details.maxBorrowDays).toBeNull();
  });

  it("refuses more days than maxBorrowDays, and nonsense days with 400", async () => {
    const pool = await createPool(2);
    await allowBorrowing(pool, { maxBorrowDays: 7 });
    const s = await checkout(pool, { user: "ann", machine: "laptop" });
    const long = await borrow(s.body.sessionId, s.body.token, 8);
    expectError(long, 403, "borrow_not_allowed");
    expect(long.body.error.details.maxBorrowDays).toBe(7);
    for (const days of [0, -1, 1.5, "7", 91, null]) expectError(await borrow(s.body.sessionId, s.body.token, days), 400, "invalid_request");
    expectError(await call("PATCH", `/v1/pools/${pool.poolId}`, { token: VENDOR, body: { maxBorrowDays: 91 } }), 400, "invalid_request");
  });

  it("answers a lease signed like session tokens, bound to the machineId, that the JWKS verifies", async () => {
    const pool = await createPool(2);
    await allowBorrowing(pool, { maxBorrowDays: 14 });
    const s = await checkout(pool, { user: "ann", machine: "laptop", machineId: "ab12cd" });
    const before = Date.now();
    const res = await borrow(s.body.sessionId, s.body.token, 7);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.seatId).toBe(s.body.seatId);
    const until = Date.parse(res.body.until);
    expect(until).toBeGreaterThanOrEqual(Math.floor((before + 7 * DAY) / 1000) * 1000);
    expect(until).toBeLessThanOrEqual(Date.now() + 7 * DAY);

    const jwks = (await call("GET", "/.well-known/jwks.json")).body;
    const { payload } = await jwtVerify(res.body.lease, createLocalJWKSet(jwks), { algorithms: ["EdDSA"] });
    expect(payload).toMatchObject({
      typ: "lease", sub: s.body.sessionId, pool: pool.poolId, seat: s.body.seatId, user: "ann", machine: "laptop", machineId: "ab12cd",
      exp: until / 1000,
    });
    expect(payload.nbf).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));

    // the lease is not a session token: it cannot release the seat
    expectError(await release(s.body.sessionId, res.body.lease), 401, "invalid_token");
    const seat = (await seatsOf(pool)).find((x) => x.seatId === s.body.seatId);
    expect(seat.borrowedUntil).toBe(res.body.until);
    expect(await eventTypes(pool)).toContain("borrowed");
  });

  it("leaves machineId out of the lease of a session that sent none", async () => {
    const pool = await createPool(2);
    await allowBorrowing(pool, { maxBorrowDays: 3 });
    const s = await checkout(pool, { user: "bob", machine: "pc" });
    const res = await borrow(s.body.sessionId, s.body.token, 1);
    expect(res.status).toBe(200);
    expect("machineId" in decodeJwt(res.body.lease)).toBe(false);
  });

  it("keeps a borrowed seat past stale expiry without heartbeats, and ends it `expired` at until", async () => {
    const pool = await createPool(2, { staleAfterHours: 1 });
    await allowBorrowing(pool, { maxBorrowDays: 5 });
    const kept = await checkout(pool, { user: "ann", machine: "laptop" });
    const other = await checkout(pool, { user: "bob", machine: "pc" });
    expect((await borrow(kept.body.sessionId, kept.body.token, 2)).status).toBe(200);

    await passTime(pool.poolId, 30 * HOUR);
    const seats = (await seatsOf(pool)).map((x) => x.user);
    expect(seats).toEqual(["ann"]); // bob went stale, the borrowed seat did not
    expectError(await heartbeat(other.body.sessionId, other.body.token), 410, "session_ended");
    expect((await heartbeat(kept.body.sessionId, kept.body.token)).status).toBe(200);

    await passTime(pool.poolId, 19 * HOUR);
    const ended = await heartbeat(kept.body.sessionId, kept.body.token);
    expectError(ended, 410, "session_ended");
    expect(ended.body.error.details.reason).toBe("expired");
    expect(await seatsOf(pool)).toEqual([]);
    expect(await auditOf(pool)).toEqual({ inUse: 0, activeSeats: 0, activeSessions: 0 });
  });

  it("is returned early by the ordinary release (event `returned`), which frees the borrow limit", async () => {
    const pool = await createPool(3);
    await allowBorrowing(pool, { maxBorrowDays: 5, maxBorrowedSeats: 1 });
    const a = await checkout(pool, { user: "ann", machine: "laptop" });
    const b = await checkout(pool, { user: "bob", machine: "pc" });
    expect((await borrow(a.body.sessionId, a.body.token, 2)).status).toBe(200);
    expect((await borrow(a.body.sessionId, a.body.token, 3)).status).toBe(200); // again: moves until, counts once
    const full = await borrow(b.body.sessionId, b.body.token, 2);
    expectError(full, 409, "borrow_limit");
    expect(full.body.error.details.max).toBe(1);

    expect((await release(a.body.sessionId, a.body.token)).body.released).toBe(true);
    const types = await eventTypes(pool);
    expect(types.slice(0, 2)).toEqual(["returned", "release"]);
    expect((await borrow(b.body.sessionId, b.body.token, 2)).status).toBe(200);
  });

  it("can be freed by an admin; the borrow and its timer go with the seat", async () => {
    const pool = await createPool(2);
    await allowBorrowing(pool, { maxBorrowDays: 5, maxBorrowedSeats: 1 });
    const a = await checkout(pool, { user: "ann", machine: "laptop" });
    await borrow(a.body.sessionId, a.body.token, 2);
    expect((await call("DELETE", `/v1/pools/${pool.poolId}/seats/${a.body.seatId}`, { token: pool.adminKey })).status).toBe(200);
    const gone = await heartbeat(a.body.sessionId, a.body.token);
    expect(gone.body.error.details.reason).toBe("freed");
    const rows = await runInDurableObject(stubOf(pool.poolId), (_i, state) => ({
      borrows: state.storage.sql.exec("SELECT COUNT(*) AS n FROM borrows").one().n,
      timers: state.storage.sql.exec("SELECT COUNT(*) AS n FROM timers WHERE kind = 'borrow'").one().n,
    }));
    expect(rows).toEqual({ borrows: 0, timers: 0 });
    const b = await checkout(pool, { user: "bob", machine: "pc" });
    expect((await borrow(b.body.sessionId, b.body.token, 2)).status).toBe(200);
  });

  it("never lets a storm of concurrent borrows exceed maxBorrowedSeats", async () => {
    const pool = await createPool(40);
    await allowBorrowing(pool, { maxBorrowDays: 10, maxBorrowedSeats: 7 });
    const sessions = await Promise.all(Array.from({ length: 30 }, (_, i) => checkout(pool, { user: `user${i}`, machine: `pc${i}` })));
    const answers = await Promise.all(sessions.flatMap((s) => [borrow(s.body.sessionId, s.body.token, 3), borrow(s.body.sessionId, s.body.token, 4)]));
    const granted = new Set(answers.filter((r) => r.status === 200).map((r) => r.body.seatId));
    expect(granted.size).toBe(7);
    for (const r of answers.filter((x) => x.status !== 200)) expectError(r, 409, "borrow_limit");
    expect((await seatsOf(pool)).filter((x) => x.borrowedUntil).length).toBe(7);
  });

  it("shows both limits in the pool's details", async () => {
    const pool = await createPool(2);
    const body = await allowBorrowing(pool, { maxBorrowDays: 30, maxBorrowedSeats: 0 });
    expect(body).toMatchObject({ maxBorrowDays: 30, maxBorrowedSeats: 0 });
    const off = await allowBorrowing(pool, { maxBorrowDays: null, maxBorrowedSeats: null });
    expect(off).toMatchObject({ maxBorrowDays: null, maxBorrowedSeats: null });
  });
});
