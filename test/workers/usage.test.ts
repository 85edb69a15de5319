import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { usageReport } from "../../durable-objects/contract-shapes";
import { PoolStore } from "../../durable-objects/pool-store";
import { MeteredSql } from "../../durable-objects/metered-sql";
import { VENDOR, call, checkout, createPool, release } from "./helpers";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe("usage buckets", () => {
  it("counts checkouts, pool_full denials and the peak in the hour and day they happened", async () => {
    const pool = await createPool(2);
    const a = await checkout(pool, { user: "a", machine: "m" });
    await checkout(pool, { user: "b", machine: "m" });
    await checkout(pool, { user: "c", machine: "m" });
    await checkout(pool, { user: "d", machine: "m" });
    await release(a.body.sessionId, a.body.token);
    const readFrom = Date.now();
    const res = await call("GET", `/v1/pools/${pool.poolId}/usage`, { token: pool.adminKey });
    const daily = await call("GET", `/v1/pools/${pool.poolId}/usage?bucket=day`, { token: VENDOR });
    const readTo = Date.now();
    expect(res.status).toBe(200);
    expect(res.body.bucket).toBe("hour");
    expect(res.body.buckets).toHaveLength(24);
    expect(daily.body.buckets).toHaveLength(30);
    // The newest bucket is the one the read fell in, whichever side of an hour it fell.
    const newest = Date.parse(res.body.buckets.at(-1).start);
    expect(newest).toBeGreaterThanOrEqual(Math.floor(readFrom / HOUR) * HOUR);
    expect(newest).toBeLessThanOrEqual(Math.floor(readTo / HOUR) * HOUR);

    // Expected from the times the server recorded: each checkout and denial counts in its own hour and day.
    const events = (await call("GET", `/v1/pools/${pool.poolId}/events`, { token: VENDOR })).body.events as { type: string; at: string; user: string }[];
    for (const [buckets, size] of [[res.body.buckets, HOUR], [daily.body.buckets, DAY]] as const) {
      const expected = new Map<number, { checkouts: number; denials: number }>();
      for (const e of events) {
        if (e.type !== "checkout" && e.type !== "denied") continue;
        const start = Math.floor(Date.parse(e.at) / size) * size;
        const b = expected.get(start) ?? { checkouts: 0, denials: 0 };
        if (e.type === "checkout") b.checkouts++;
        else b.denials++;
        expected.set(start, b);
      }
      const counted = new Map<number, { checkouts: number; denials: number }>();
      for (const b of buckets as { start: string; checkouts: number; denials: number }[]) {
        if (b.checkouts || b.denials) counted.set(Date.parse(b.start), { checkouts: b.checkouts, denials: b.denials });
      }
      expect(counted).toEqual(expected);
      expect([...expected.values()].reduce((n, b) => n + b.checkouts + b.denials, 0)).toBe(4);
      // Both seats were in use when b checked out: its bucket's peak is 2, and no bucket's is more.
      const secondAt = Date.parse(events.find((e) => e.type === "checkout" && e.user === "b")!.at);
      const peaks = new Map((buckets as { start: string; peakInUse: number }[]).map((b) => [Date.parse(b.start), b.peakInUse]));
      expect(peaks.get(Math.floor(secondAt / size) * size)).toBe(2);
      expect(Math.max(...peaks.values())).toBe(2);
    }
  });

  it("keeps each hour apart across an hour boundary, and carries the level through quiet hours", async () => {
    const pool = await createPool(10);
    const stub = env.POOL.get(env.POOL.idFromName(pool.poolId));
    const base = Date.UTC(2026, 10, 20, 9, 0, 0);
    const buckets = await runInDurableObject(stub, (_i, state) => {
      const store = new PoolStore(new MeteredSql(state.storage.sql));
      store.recordUsage(base + 10 * 60_000, 0, 1, 1, 0); // 09:10 checkout → 1
      store.recordUsage(base + 50 * 60_000, 1, 2, 1, 0); // 09:50 checkout → 2
      store.recordUsage(base + 59 * 60_000, 2, 1, 0, 0); // 09:59 release → 1
      store.recordUsage(base + 61 * 60_000, 1, 1, 0, 1); // 10:01 denial at 1
      store.recordUsage(base + 65 * 60_000, 1, 0, 0, 0); // 10:05 release → 0
      store.recordUsage(base + 3 * HOUR + 5 * 60_000, 0, 1, 1, 0); // 12:05 checkout → 1
      store.recordUsage(base + 3 * HOUR + 30 * 60_000, 1, 0, 0, 0); // 12:30 release → 0, the live level
      // a fall within an hour that has its row writes nothing; the next hour's first write puts that row right
      const lagging = store.usageHours(base, base + HOUR, 0)[0];
      return {
        hours: usageReport(store, base - HOUR, base + 4 * HOUR, "hour", 0),
        days: usageReport(store, base, base + HOUR, "day", 0),
        lagging,
      };
    });
    expect(buckets.hours).toEqual([
      { start: "2026-11-20T08:00:00.000Z", peakInUse: 0, checkouts: 0, denials: 0, overdraftPeak: 0, waits: 0, maxWaitSeconds: 0 },
      { start: "2026-11-20T09:00:00.000Z", peakInUse: 2, checkouts: 2, denials: 0, overdraftPeak: 0, waits: 0, maxWaitSeconds: 0 },
      { start: "2026-11-20T10:00:00.000Z", peakInUse: 1, checkouts: 0, denials: 1, overdraftPeak: 0, waits: 0, maxWaitSeconds: 0 },
      { start: "2026-11-20T11:00:00.000Z", peakInUse: 0, checkouts: 0, denials: 0, overdraftPeak: 0, waits: 0, maxWaitSeconds: 0 },
      { start: "2026-11-20T12:00:00.000Z", peakInUse: 1, checkouts: 1, denials: 0, overdraftPeak: 0, waits: 0, maxWaitSeconds: 0 },
      { start: "2026-11-20T13:00:00.000Z", peakInUse: 0, checkouts: 0, denials: 0, overdraftPeak: 0, waits: 0, maxWaitSeconds: 0 },
    ]);
    // 09:59's release wrote nothing; 10:01's denial, the first write of a later hour, set 09:00's level to 1
    expect(buckets.lagging).toMatchObject({ hour: base, peak_in_use: 2, last_in_use: 1 });
    expect(buckets.days).toEqual([{ start: "2026-11-20T00:00:00.000Z", peakInUse: 2, checkouts: 3, denials: 1, overdraftPeak: 0, waits: 0, maxWaitSeconds: 0 }]);
  });

  it("refuses a range the wrong way round or too long", async () => {
    const pool = await createPool(1);
    const backwards = await call("GET", `/v1/pools/${pool.poolId}/usage?from=2026-11-20T10:00:00Z&to=2026-11-20T09:00:00Z`, { token: VENDOR });
    expect(backwards.status).toBe(400);
    const tooLong = await call("GET", `/v1/pools/${pool.poolId}/usage?from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z`, { token: VENDOR });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.code).toBe("invalid_request");
  });
});
