import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { auditOf, call, checkout, createPool, heartbeat, seatsOf } from "./helpers";

const HOUR = 3_600_000;

function stubOf(poolId: string) {
  return env.POOL.get(env.POOL.idFromName(poolId));
}

/** Moves a seat's and its sessions' last heartbeat into the past, and the pool's timers with them, as if that time had passed. */
async function age(poolId: string, seatId: string, hours: number) {
  await runInDurableObject(stubOf(poolId), async (_instance, state) => {
    const t = Date.now() - hours * HOUR;
    state.storage.sql.exec("UPDATE seats SET last_seen_at = ? WHERE seat_id = ?", t, seatId);
    state.storage.sql.exec("UPDATE sessions SET last_seen_at = ? WHERE seat_id = ?", t, seatId);
    state.storage.sql.exec("UPDATE timers SET due_at = due_at - ?", hours * HOUR);
  });
}

/** Runs the object's alarm handler now, whether or not an alarm is set: what it would do if one fired. */
async function runAlarmHandler(poolId: string): Promise<void> {
  await runInDurableObject(stubOf(poolId), async (instance) => {
    expect(typeof instance.alarm).toBe("function");
    await instance.alarm!();
  });
}

/** The kinds of timer the pool has set. */
async function timerKinds(poolId: string): Promise<string[]> {
  return runInDurableObject(stubOf(poolId), (_i, state) => state.storage.sql.exec<{ kind: string }>("SELECT kind FROM timers ORDER BY kind").toArray().map((r) => r.kind));
}

async function alarmAt(poolId: string): Promise<number | null> {
  return runInDurableObject(stubOf(poolId), (_i, state) => state.storage.getAlarm());
}

// Pools of 2 seats with 1 taken: a checkout that fills a pool is a pool.usage_high event, whose
// outbox alarm (due at once) would run the moved timers before the test looks.
describe("stale seats", () => {
  it("never expire by default: a client that went offline keeps its seat", async () => {
    const pool = await createPool(2);
    const s = await checkout(pool, { user: "ann", machine: "laptop" });
    await age(pool.poolId, s.body.seatId, 24 * 365);
    // no stale timer: the alarm is only the daily retention prune (issue 15), which ends no seat in use
    expect(await timerKinds(pool.poolId)).toEqual(["retention"]);
    expect(await runDurableObjectAlarm(stubOf(pool.poolId))).toBe(true);
    await runAlarmHandler(pool.poolId); // and had the alarm fired again, it would expire nothing
    expect(await seatsOf(pool)).toHaveLength(1);
    expect(await auditOf(pool)).toEqual({ inUse: 1, activeSeats: 1, activeSessions: 1 });
  });

  it("expire by the alarm after staleAfterHours without a heartbeat, while fresh seats stay", async () => {
    const pool = await createPool(3, { staleAfterHours: 8 });
    const stale = await checkout(pool, { user: "gone", machine: "PC-1" });
    const fresh = await checkout(pool, { user: "here", machine: "PC-2" });
    const alarm = await alarmAt(pool.poolId);
    expect(alarm).not.toBeNull();
    expect(alarm! - Date.now()).toBeGreaterThan(7.9 * HOUR);

    await age(pool.poolId, stale.body.seatId, 9);
    await age(pool.poolId, fresh.body.seatId, 2);
    expect(await runDurableObjectAlarm(stubOf(pool.poolId))).toBe(true);

    expect((await seatsOf(pool)).map((s) => s.user)).toEqual(["here"]);
    const hb = await heartbeat(stale.body.sessionId, stale.body.token);
    expect(hb.status).toBe(410);
    expect(hb.body.error.details.reason).toBe("expired");
    expect(await auditOf(pool)).toEqual({ inUse: 1, activeSeats: 1, activeSessions: 1 });
    // the alarm is set again for the remaining seat: 8 h after its last heartbeat (2 h ago)
    const next = await alarmAt(pool.poolId);
    expect(next! - Date.now()).toBeGreaterThan(5.9 * HOUR);
    expect(next! - Date.now()).toBeLessThan(6.1 * HOUR);
    const events = (await call("GET", `/v1/pools/${pool.poolId}/events`, { token: pool.adminKey })).body.events;
    expect(events[0]).toMatchObject({ type: "expired", user: "gone", seatId: stale.body.seatId });

    // running the alarm again changes nothing (idempotent)
    expect(await runDurableObjectAlarm(stubOf(pool.poolId))).toBe(true);
    expect(await auditOf(pool)).toEqual({ inUse: 1, activeSeats: 1, activeSessions: 1 });
  });

  it("keeps a seat whose heartbeat keeps coming", async () => {
    const pool = await createPool(2, { staleAfterHours: 1 });
    const s = await checkout(pool, { user: "ann", machine: "PC-1" });
    await age(pool.poolId, s.body.seatId, 2);
    expect((await heartbeat(s.body.sessionId, s.body.token)).status).toBe(200);
    expect(await runDurableObjectAlarm(stubOf(pool.poolId))).toBe(true); // the alarm set at checkout
    expect(await seatsOf(pool)).toHaveLength(1);
    expect(await auditOf(pool)).toEqual({ inUse: 1, activeSeats: 1, activeSessions: 1 });
  });

  it("clears the alarm when expiry is switched off", async () => {
    const pool = await createPool(2, { staleAfterHours: 4 });
    await checkout(pool, { user: "ann", machine: "PC-1" });
    expect(await alarmAt(pool.poolId)).not.toBeNull();
    expect(await alarmAt(pool.poolId)).toBeLessThan(Date.now() + 5 * HOUR);
    await call("PATCH", `/v1/pools/${pool.poolId}`, { token: pool.adminKey, body: { staleAfterHours: null } });
    // the stale timer is gone; the alarm moves to the daily retention prune
    expect(await timerKinds(pool.poolId)).toEqual(["retention"]);
    expect(await alarmAt(pool.poolId)).toBeGreaterThan(Date.now() + 23 * HOUR);
  });
});
