/**
 * The write budget (issue 17): rows written per operation, counted by the pool object's
 * store from `cursor.rowsWritten` (index entries included), as Cloudflare bills them.
 * Every figure here is an exact count of this runtime's SQLite, not a timing.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { PRESENCE_WRITE_WINDOW } from "../../durable-objects/stale-expiry";
import { auditOf, call, checkout, createPool, expectError, heartbeat, release, seatsOf, type TestPool } from "./helpers";

const stubOf = (pool: TestPool) => env.POOL.get(env.POOL.idFromName(pool.poolId));

/** Rows written (and alarms set, billed as rows) by `op`, measured inside the pool object. */
async function written(pool: TestPool, op: () => Promise<unknown>): Promise<number> {
  const before = await stubOf(pool).meter();
  await op();
  const after = await stubOf(pool).meter();
  return after.rowsWritten - before.rowsWritten + after.alarmWrites - before.alarmWrites;
}

/** Waits until the pool's outbox is empty: a checkout that fills a pool is a pool.usage_high, sent by an alarm due at once. */
async function outboxDrained(pool: TestPool) {
  for (let i = 0; i < 250; i++) {
    const left = await runInDurableObject(stubOf(pool), (_i, state) =>
      state.storage.sql.exec("SELECT 1 FROM timers WHERE kind IN ('vendor_webhook', 'webhook') AND due_at <= ?", Date.now()).toArray().length);
    if (left === 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("the outbox never drained");
}

/** Moves a session's last-seen back, as if its last write was `ms` ago. */
async function lastWrittenAgo(pool: TestPool, seatId: string, ms: number) {
  await runInDurableObject(stubOf(pool), (_i, state) => {
    state.storage.sql.exec("UPDATE sessions SET last_seen_at = last_seen_at - ? WHERE seat_id = ?", ms, seatId);
    state.storage.sql.exec("UPDATE seats SET last_seen_at = last_seen_at - ? WHERE seat_id = ?", ms, seatId);
  });
}

describe("the write budget", () => {
  it("a checkout writes at most 5 rows, a release at most 4, and a seat-day under the live channel at most 10", async () => {
    const pool = await createPool(5);
    // the pool's first checkout of the hour also opens its usage row; measure a steady one
    const warm = await checkout(pool, { user: "warm", machine: "PC-0" });

    let s: Awaited<ReturnType<typeof checkout>> | undefined;
    const checkoutRows = await written(pool, async () => (s = await checkout(pool, { user: "ann", machine: "PC-1" })));
    expect(s!.status).toBe(201);
    const releaseRows = await written(pool, () => release(s!.body.sessionId, s!.body.token));
    expect(checkoutRows).toBeLessThanOrEqual(5);
    expect(releaseRows).toBeLessThanOrEqual(4);
    expect(checkoutRows + releaseRows).toBeLessThanOrEqual(10);

    // what `seatkeeper run` sends: a checkout with its launch's instance id
    let r: Awaited<ReturnType<typeof checkout>> | undefined;
    const withInstance = await written(pool, async () => (r = await checkout(pool, { user: "bob", machine: "PC-2", instance: crypto.randomUUID() })));
    const thenRelease = await written(pool, () => release(r!.body.sessionId, r!.body.token));
    expect(withInstance + thenRelease).toBeLessThanOrEqual(10);
    expect(await auditOf(pool)).toEqual({ inUse: 1, activeSeats: 1, activeSessions: 1 });
    await release(warm.body.sessionId, warm.body.token);
  });

  it("a heartbeat within its window writes nothing; the first past it writes the session's last-seen once", async () => {
    const pool = await createPool(2);
    const s = await checkout(pool, { user: "ann", machine: "PC-1" });
    for (let i = 0; i < 3; i++) {
      expect(await written(pool, async () => expect((await heartbeat(s.body.sessionId, s.body.token)).status).toBe(200))).toBe(0);
    }
    await lastWrittenAgo(pool, s.body.seatId, PRESENCE_WRITE_WINDOW);
    expect(await written(pool, () => heartbeat(s.body.sessionId, s.body.token))).toBe(2); // the session and its seat
    expect(await written(pool, () => heartbeat(s.body.sessionId, s.body.token))).toBe(0);
    const [seat] = await seatsOf(pool);
    expect(Date.now() - Date.parse(seat.lastSeenAt)).toBeLessThan(PRESENCE_WRITE_WINDOW);
  });

  it("keeps usage exact although a release writes no usage row: the hour's peak and the live level", async () => {
    const pool = await createPool(3);
    const a = await checkout(pool, { user: "ann", machine: "PC-1" });
    const b = await checkout(pool, { user: "bob", machine: "PC-2" });
    await release(a.body.sessionId, a.body.token);
    await release(b.body.sessionId, b.body.token);
    const now = Date.now();
    const from = new Date(now - 3_600_000).toISOString();
    const to = new Date(now).toISOString();
    const usage = await call("GET", `/v1/pools/${pool.poolId}/usage?from=${from}&to=${to}&bucket=hour`, { token: pool.adminKey });
    expect(usage.status).toBe(200);
    const last = usage.body.buckets.at(-1);
    expect(last).toMatchObject({ peakInUse: 2, checkouts: 2 });
    expect((await call("GET", `/v1/pools/${pool.poolId}`, { token: pool.adminKey })).body.inUse).toBe(0);
  });

  it("a heartbeat's idleSince: a beat that repeats the state writes nothing, even while someone waits and reclaim is on; bad times are 400", async () => {
    const pool = await createPool(1, {});
    expect((await call("PATCH", `/v1/pools/${pool.poolId}`, { token: pool.adminKey, body: { reclaimIdleMinutes: 30 } })).status).toBe(200);
    const s = await checkout(pool, { user: "ann", machine: "PC-1" });
    await outboxDrained(pool); // what the filling checkout sends is not the beats' to count
    const beat = (body: unknown) => call("POST", `/v1/sessions/${s.body.sessionId}/heartbeat`, { token: s.body.token, body });
    const idle = new Date(Date.now() - 60_000).toISOString();
    // nobody waits: telling idleness changes memory only
    expect(await written(pool, async () => expect((await beat({ idleSince: idle })).status).toBe(200))).toBe(0);
    const w = await call("POST", "/v1/sessions", { body: { serial: pool.serial, productKey: pool.productKey, user: "bob", machine: "PC-2", wait: true } });
    expect(w.status).toBe(202);
    for (let i = 0; i < 3; i++) expect(await written(pool, async () => expect((await beat({ idleSince: idle })).status).toBe(200))).toBe(0);
    expect(await written(pool, async () => expect((await beat({})).status).toBe(200))).toBe(0); // says nothing new
    // back in use, then idle again: each change may set the idle check, each repeat writes nothing
    await beat({ idleSince: null });
    expect(await written(pool, () => beat({ idleSince: null }))).toBe(0);
    expect((await heartbeat(s.body.sessionId, s.body.token)).status).toBe(200); // no body at all, as 1.0 clients beat

    for (const bad of [{ idleSince: "yesterday" }, { idleSince: 5 }, { idleSince: "2026-13-45T99:00:00Z" }]) {
      expectError(await beat(bad), 400, "invalid_request");
    }
    const [seat] = await seatsOf(pool);
    expect(seat).toMatchObject({ connected: false, idleSince: null });
  });
});
