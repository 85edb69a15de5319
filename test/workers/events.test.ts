import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { SECURITY_EVENTS_CAP } from "../../durable-objects/pool-store";
import { VENDOR, call, checkout, createPool, freshAddress, release } from "./helpers";

describe("the audit log", () => {
  it("records a scripted day, newest first, each with who and why", async () => {
    const pool = await createPool(1, { minClientVersion: "2" });
    const ann = await checkout(pool, { user: "ann", machine: "PC-1", clientVersion: "2.1" });
    await checkout(pool, { user: "bob", machine: "PC-2", clientVersion: "2.1" }); // full
    await checkout(pool, { user: "old", machine: "PC-3", clientVersion: "1.9" }); // version
    await checkout({ ...pool, productKey: "WRONG-WRONG-WRONG-WRONG-WRONG" }, { user: "eve", machine: "PC-4" }, { address: freshAddress() });
    await release(ann.body.sessionId, ann.body.token);
    await call("PATCH", `/v1/pools/${pool.poolId}`, { token: VENDOR, body: { seats: 2 } });
    const carl = await checkout(pool, { user: "carl", machine: "PC-5", clientVersion: "3" });
    await call("DELETE", `/v1/pools/${pool.poolId}/seats/${carl.body.seatId}`, { token: pool.adminKey });
    const rotated = await call("POST", `/v1/pools/${pool.poolId}/credentials`, { token: pool.adminKey, body: {} });
    await checkout(pool, { user: "dan", machine: "PC-6", clientVersion: "3" }); // revoked
    await call("GET", `/v1/pools/${pool.poolId}`, { token: pool.adminKey.slice(0, -1) + (pool.adminKey.endsWith("0") ? "1" : "0"), address: freshAddress() });
    await call("GET", `/v1/pools/${pool.poolId}/seats`, { token: "a-guessed-vendor-token", address: freshAddress() });
    expect(rotated.status).toBe(201);

    const res = await call("GET", `/v1/pools/${pool.poolId}/events`, { token: pool.adminKey });
    expect(res.status).toBe(200);
    const summary = res.body.events.map((e: any) => [e.type, e.user ?? e.actor, e.details?.reason ?? null]);
    expect(summary).toEqual([
      ["auth_failed", null, "bad_vendor_token"],
      ["auth_failed", null, "bad_admin_key"],
      ["denied", "dan", "credentials_revoked"],
      ["credentials_rotated", "admin:first admin", null],
      ["freed", "carl", null],
      ["checkout", "carl", null],
      ["pool_updated", "vendor", null],
      ["release", "ann", null],
      ["auth_failed", "eve", "bad_product_key"],
      ["denied", "old", "client_version"],
      ["denied", "bob", "pool_full"],
      ["checkout", "ann", null],
      ["pool_created", "vendor", null],
    ]);
    const freed = res.body.events[4];
    expect(freed).toMatchObject({ actor: "admin:first admin", machine: "PC-5", seatId: carl.body.seatId });
    for (const e of res.body.events) {
      expect(Date.parse(e.at)).not.toBeNaN();
      expect(e.id).toMatch(/^\d+$/);
    }
  });

  it("pages with before, and the pages join up with nothing missing or repeated", async () => {
    const pool = await createPool(50);
    await Promise.all(Array.from({ length: 23 }, (_, i) => checkout(pool, { user: `u${i}`, machine: "m" })));
    const all: any[] = [];
    let before: string | null = null;
    do {
      const res: any = await call("GET", `/v1/pools/${pool.poolId}/events?limit=5${before ? `&before=${before}` : ""}`, { token: VENDOR });
      all.push(...res.body.events);
      before = res.body.next;
    } while (before);
    expect(all).toHaveLength(24);
    expect(new Set(all.map((e) => e.id)).size).toBe(24);
    const ids = all.map((e) => Number(e.id));
    expect([...ids].sort((a, b) => b - a)).toEqual(ids);
  });

  it(`is capped at the newest ${SECURITY_EVENTS_CAP} security events by the writes themselves`, async () => {
    const pool = await createPool(1);
    const stub = env.POOL.get(env.POOL.idFromName(pool.poolId));
    const written = SECURITY_EVENTS_CAP + 1000;
    // Through the object's own RPC method that records an event, as a stream of refused attempts
    // from as many addresses would (one address's failures in a minute are one counted row).
    for (let i = 0; i < written; i += 500) {
      await Promise.all(Array.from({ length: Math.min(500, written - i) }, (_, j) =>
        stub.recordAuthFailure({ reason: "bad_vendor_token", address: `10.${(i + j) >> 16}.${((i + j) >> 8) & 255}.${(i + j) & 255}` })));
    }
    const count = await runInDurableObject(stub, (_i, state) =>
      state.storage.sql
        .exec<{ n: number; oldest: number; newest: number }>("SELECT COUNT(*) AS n, MIN(id) AS oldest, MAX(id) AS newest FROM events WHERE agg_key IS NOT NULL")
        .one(),
    );
    // The store prunes in batches, so between prunes the log may run this far over its cap.
    const slack = 256;
    expect(count.newest).toBe(written + 1); // pool_created, then every write
    expect(count.n).toBeGreaterThanOrEqual(SECURITY_EVENTS_CAP);
    expect(count.n).toBeLessThan(SECURITY_EVENTS_CAP + slack);
    expect(count.newest - count.oldest + 1).toBe(count.n); // the newest, none missing between
    const page = await call("GET", `/v1/pools/${pool.poolId}/events?limit=1`, { token: VENDOR });
    expect(page.body.events[0]).toMatchObject({ id: String(written + 1), type: "auth_failed" });
  });
});
