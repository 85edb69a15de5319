import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { poolMigrations, runMigrations } from "../../durable-objects/migrations";
import { PoolStore } from "../../durable-objects/pool-store";
import { MeteredSql } from "../../durable-objects/metered-sql";
import { Timers, type AlarmStorage } from "../../durable-objects/timers";
import { auditOf, checkout, createPool } from "./helpers";

/** The object's real alarm, with its calls counted. */
function countingAlarms(storage: DurableObjectStorage) {
  const calls = { set: [] as number[], deleted: 0 };
  const counted: AlarmStorage = {
    getAlarm: () => storage.getAlarm(),
    setAlarm: (at: number | Date) => { calls.set.push(Number(at)); return storage.setAlarm(at); },
    deleteAlarm: () => { calls.deleted++; return storage.deleteAlarm(); },
  };
  return { storage: counted, calls };
}

/** An object no pool lives in, with the pool schema, for the timers alone. */
function emptyObject() {
  return env.POOL.get(env.POOL.idFromName(`timers-${crypto.randomUUID()}`));
}

describe("one alarm, many timers", () => {
  it("keeps the alarm at the earliest timer and sets it only when that time changes", async () => {
    await runInDurableObject(emptyObject(), async (_i, state) => {
      runMigrations(state.storage, poolMigrations);
      const { storage, calls } = countingAlarms(state.storage);
      const timers = new Timers(new PoolStore(new MeteredSql(state.storage.sql)), storage);
      await timers.load();
      const t0 = Date.now() + 3_600_000;
      timers.set("stale", t0);
      await timers.syncAlarm();
      expect(await state.storage.getAlarm()).toBe(t0);
      timers.set("stale", t0); // the same time again: nothing written, nothing set
      await timers.syncAlarm();
      await timers.syncAlarm();
      expect(calls.set).toEqual([t0]);
      timers.set("stale", t0 + 1000);
      await timers.syncAlarm();
      expect(calls.set).toEqual([t0, t0 + 1000]);
      timers.clear("stale");
      await timers.syncAlarm();
      expect(calls.deleted).toBe(1);
      expect(await state.storage.getAlarm()).toBeNull();
    });
  });

  it("runs each due timer once by its kind, leaves the rest, and changes nothing when run again", async () => {
    await runInDurableObject(emptyObject(), async (_i, state) => {
      runMigrations(state.storage, poolMigrations);
      const store = new PoolStore(new MeteredSql(state.storage.sql));
      const timers = new Timers(store, state.storage);
      const now = Date.now();
      store.setTimer({ kind: "stale", key: "", due_at: now - 10 });
      store.setTimer({ kind: "retired-kind", key: "x", due_at: now - 5 }); // from a newer version, rolled back
      const ran: string[] = [];
      const retention = () => ran.push("retention");
      expect(timers.runDue(now, { stale: (key) => ran.push(`stale:${key}`), borrow: () => ran.push("borrow"), ticket_lapse: () => {}, ticket_pickup: () => {}, retention, webhook: () => ran.push("webhook"), vendor_webhook: () => ran.push("vendor_webhook"), pool_expiring: () => ran.push("pool_expiring") })).toBe(2);
      expect(ran).toEqual(["stale:"]);
      expect(timers.runDue(now, { stale: (key) => ran.push(`again:${key}`), borrow: () => ran.push("borrow"), ticket_lapse: () => {}, ticket_pickup: () => {}, retention, webhook: () => ran.push("webhook"), vendor_webhook: () => ran.push("vendor_webhook"), pool_expiring: () => ran.push("pool_expiring") })).toBe(0);
      expect(ran).toEqual(["stale:"]);
      expect(store.earliestTimer()).toBeNull();

      store.setTimer({ kind: "stale", key: "", due_at: now + 60_000 });
      expect(timers.runDue(now, { stale: () => ran.push("early"), borrow: () => ran.push("borrow"), ticket_lapse: () => {}, ticket_pickup: () => {}, retention, webhook: () => ran.push("webhook"), vendor_webhook: () => ran.push("vendor_webhook"), pool_expiring: () => ran.push("pool_expiring") })).toBe(0);
      expect(store.earliestTimer()).toBe(now + 60_000);
    });
  });

  it("runs stale expiry from the alarm, and a second alarm run changes nothing", async () => {
    const pool = await createPool(2, { staleAfterHours: 1 });
    const stub = env.POOL.get(env.POOL.idFromName(pool.poolId));
    const s = await checkout(pool, { user: "gone", machine: "PC-1" });
    expect(s.status).toBe(201);
    const timer = await runInDurableObject(stub, (_i, state) => state.storage.sql.exec("SELECT kind, due_at FROM timers WHERE kind = 'stale'").toArray());
    expect(timer).toHaveLength(1);
    expect(timer[0]!.kind).toBe("stale");
    await runInDurableObject(stub, (_i, state) => {
      state.storage.sql.exec("UPDATE seats SET last_seen_at = last_seen_at - 7200000");
      state.storage.sql.exec("UPDATE timers SET due_at = due_at - 7200000 WHERE kind = 'stale'");
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await auditOf(pool)).toEqual({ inUse: 0, activeSeats: 0, activeSessions: 0 });
    const after = await runInDurableObject(stub, (_i, state) => ({
      timers: state.storage.sql.exec("SELECT * FROM timers WHERE kind = 'stale'").toArray().length,
      events: state.storage.sql.exec("SELECT COUNT(*) AS n FROM events").one().n,
    }));
    expect(after.timers).toBe(0);
    await runInDurableObject(stub, (instance) => instance.alarm!());
    const again = await runInDurableObject(stub, (_i, state) => state.storage.sql.exec("SELECT COUNT(*) AS n FROM events").one().n);
    expect(again).toBe(after.events);
  });
});
