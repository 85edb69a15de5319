import { describe, expect, it } from "vitest";
import { PRUNE_EVERY, SECURITY_EVENTS_CAP } from "../../durable-objects/pool-store";
import { inOneRateWindow } from "../rate-window";
import { VENDOR, call, checkout, createPool, freshAddress, release, type TestPool } from "./helpers";

/** Runs `n` requests, `width` at a time. */
async function flood(n: number, width: number, one: (i: number) => Promise<{ status: number }>): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < n) {
      const { status } = await one(next++);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  }));
  return statuses;
}

/** Every event of the pool, newest first, following `next`. */
async function allEvents(pool: TestPool): Promise<any[]> {
  const out: any[] = [];
  let before = "";
  for (;;) {
    const res = await call("GET", `/v1/pools/${pool.poolId}/events?limit=500${before}`, { token: VENDOR });
    expect(res.status).toBe(200);
    out.push(...res.body.events);
    if (!res.body.next) return out;
    before = `&before=${res.body.next}`;
  }
}

const wrongKey = (pool: TestPool) => ({ ...pool, productKey: "ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ" });

describe("a flood of bad requests", () => {
  it("from one address: 2,000 wrong product keys write one counted event, and the limiter answers the rest before the pool writes", async () => {
    // the limiter counts per minute of the clock: the whole flood, and the address's last try, in one minute
    const { pool, statuses, afterwards } = await inOneRateWindow(async () => {
      const pool = await createPool(2);
      const address = freshAddress();
      const statuses = await flood(2000, 20, () => checkout(wrongKey(pool), { user: "eve", machine: "PC-9" }, { address }));
      // valid credentials from the limited address still work
      const afterwards = await checkout(pool, { user: "ann", machine: "PC-1" }, { address });
      return { pool, statuses, afterwards };
    });
    expect(statuses.get(401)).toBe(10);
    expect(statuses.get(429)).toBe(1990);
    const failed = (await allEvents(pool)).filter((e) => e.type === "auth_failed");
    expect(failed.length).toBeGreaterThanOrEqual(1);
    expect(failed.length).toBeLessThanOrEqual(2); // a minute boundary may fall inside the flood
    expect(failed.reduce((n, e) => n + e.details.count, 0)).toBe(10);
    expect(failed[0]).toMatchObject({ user: "eve", details: { reason: "bad_product_key" } });
    expect(afterwards.status).toBe(201);
  });

  it("from one address: 1,000 garbage bearers on the audit log itself write at most the limiter's ten", async () => {
    const { pool, statuses } = await inOneRateWindow(async () => {
      const pool = await createPool(1);
      const address = freshAddress();
      return { pool, statuses: await flood(1000, 20, () => call("GET", `/v1/pools/${pool.poolId}/events`, { token: "garbage", address })) };
    });
    expect(statuses.get(401)).toBe(10);
    expect(statuses.get(429)).toBe(990);
    const failed = (await allEvents(pool)).filter((e) => e.type === "auth_failed");
    expect(failed.reduce((n, e) => n + e.details.count, 0)).toBe(10);
  });

  it("from 25,000 addresses: the seat events from before it are all still there, and security events stay within their cap", { timeout: 600_000 }, async () => {
    const pool = await createPool(3);
    const ann = await checkout(pool, { user: "ann", machine: "PC-1" });
    const bob = await checkout(pool, { user: "bob", machine: "PC-2" });
    await release(ann.body.sessionId, ann.body.token);
    const before = (await allEvents(pool)).filter((e) => e.type !== "auth_failed");
    expect(before.map((e) => e.type)).toEqual(["release", "checkout", "checkout", "pool_created"]);

    const statuses = await flood(25_000, 50, (i) =>
      i % 2 === 0
        ? checkout(wrongKey(pool), { user: `eve${i}`, machine: "PC-9" }, { address: freshAddress() })
        : call("GET", `/v1/pools/${pool.poolId}/seats`, { token: `guess-${i}`, address: freshAddress() }),
    );
    expect(statuses.get(401)).toBe(25_000);

    const after = await allEvents(pool);
    const security = after.filter((e) => e.type === "auth_failed");
    expect(security.length).toBeLessThanOrEqual(SECURITY_EVENTS_CAP + PRUNE_EVERY);
    expect(security.length).toBeGreaterThan(SECURITY_EVENTS_CAP / 2);
    expect(after.filter((e) => e.type !== "auth_failed")).toEqual(before);
    expect(bob.status).toBe(201);
  });

  it("of refusals with a valid key: one identity refused 1,000 times is one denied event and one denial in usage", async () => {
    const pool = await createPool(1);
    await checkout(pool, { user: "ann", machine: "PC-1" });
    const statuses = await flood(1000, 20, () => checkout(pool, { user: "Mallory", machine: "PC-6" }));
    expect(statuses.get(409)).toBe(1000);
    const denied = (await allEvents(pool)).filter((e) => e.type === "denied");
    expect(denied.length).toBeLessThanOrEqual(2);
    expect(denied.reduce((n, e) => n + e.details.count, 0)).toBe(1000);
    expect(denied[0]).toMatchObject({ user: "Mallory", details: { reason: "pool_full" } });
    const usage = await call("GET", `/v1/pools/${pool.poolId}/usage`, { token: VENDOR });
    const denials = usage.body.buckets.reduce((n: number, b: any) => n + b.denials, 0);
    expect(denials).toBe(denied.length);
  });
});
