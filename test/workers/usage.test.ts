import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { usageReport } from "../../durable-objects/contract-shapes";
import { PoolStore } from "../../durable-objects/pool-store";
import { VENDOR, call, checkout, createPool, release } from "./helpers";

const HOUR = 3_600_000;

describe("usage buckets", () => {
  it("counts checkouts, pool_full denials and the peak in the current hour", async () => {
    const pool = await createPool(2);
    const a = await checkout(pool, { user: "a", machine: "m" });
    await checkout(pool, { user: "b", machine: "m" });
    await checkout(pool, { user: "c", machine: "m" });
    await checkout(pool, { user: "d", machine: "m" });
    await release(a.body.sessionId, a.body.token);
    const res = await call("GET", `/v1/pools/${pool.poolId}/usage`, { token: pool.adminKey });
    expect(res.status).toBe(200);
    expect(res.body.bucket).toBe("hour");
    expect(res.body.buckets).toHaveLength(24);
    const current = res.body.buckets.at(-1);
    expect(Date.parse(current.start)).toBe(Math.floor(Date.now() / HOUR) * HOUR);
    expect(current).toMatchObject({ peakInUse: 2, checkouts: 2, denials: 2 });
    const daily = await call("GET", `/v1/pools/${pool.poolId}/usage?bucket=day`, { token: VENDOR });
    expect(daily.body.buckets).toHaveLength(30);
    expect(daily.body.buckets.at(-1)).toMatchObject({ peakInUse: 2, checkouts: 2, denials: 2 });
  });

  it("keeps each hour apart across an hour boundary, and carries the level through quiet hours", async () => {
    const pool = await createPool(10);
    const stub = env.POOL.get(env.POOL.idFromName(pool.poolId));
    const base = Date.UTC(2026, 10, 20, 9, 0, 0);
    const buckets = await runInDurableObject(stub, (_i, state) => {
      const store = new PoolStore(state.storage.sql);
      store.recordUsage(base + 10 * 60_000, 0, 1, 1, 0); // 09:10 checkout → 1
      store.recordUsage(base + 50 * 60_000, 1, 2, 1, 0); // 09:50 checkout → 2
      store.recordUsage(base + 59 * 60_000, 2, 1, 0, 0); // 09:59 release → 1
      store.recordUsage(base + 61 * 60_000, 1, 1, 0, 1); // 10:01 denial at 1
      store.recordUsage(base + 65 * 60_000, 1, 0, 0, 0); // 10:05 release → 0
      store.recordUsage(base + 3 * HOUR + 5 * 60_000, 0, 1, 1, 0); // 12:05 checkout → 1
      return { hours: usageReport(store, base - HOUR, base + 4 * HOUR, "hour"), days: usageReport(store, base, base + HOUR, "day") };
    });
    expect(buckets.hours).toEqual([
      { start: "2026-11-20T08:00:00.000Z", peakInUse: 0, checkouts: 0, denials: 0 },
      { start: "2026-11-20T09:00:00.000Z", peakInUse: 2, checkouts: 2, denials: 0 },
      { start: "2026-11-20T10:00:00.000Z", peakInUse: 1, checkouts: 0, denials: 1 },
      { start: "2026-11-20T11:00:00.000Z", peakInUse: 0, checkouts: 0, denials: 0 },
      { start: "2026-11-20T12:00:00.000Z", peakInUse: 1, checkouts: 1, denials: 0 },
      { start: "2026-11-20T13:00:00.000Z", peakInUse: 1, checkouts: 0, denials: 0 },
    ]);
    expect(buckets.days).toEqual([{ start: "2026-11-20T00:00:00.000Z", peakInUse: 2, checkouts: 3, denials: 1 }]);
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
