import { describe, expect, it } from "vitest";
import { inOneRateWindow } from "../rate-window";
import { newAdminKey, newPoolId, parseAdminKey } from "../../src/worker/credentials";
import { VENDOR, call, checkout, createPool, freshAddress } from "./helpers";

describe("brute-force limits on failed authentication", () => {
  it("answers 429 with Retry-After after 10 failures a minute from one address, yet never refuses valid credentials", async () => {
    const pool = await createPool(5);
    const wrong = { ...pool, productKey: "ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ" };
    const { address, answers } = await inOneRateWindow(async () => {
      const address = freshAddress();
      const answers = [];
      for (let i = 0; i < 13; i++) answers.push(await checkout(wrong, { user: "eve", machine: "PC" }, { address }));
      return { address, answers };
    });
    expect(answers.map((a) => a.status)).toEqual([...Array(10).fill(401), 429, 429, 429]);
    for (const limited of answers.slice(10)) {
      expect(limited.body.error.code).toBe("rate_limited");
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    }

    // one misconfigured PC does not lock the office out: valid credentials from the same address still work
    const ok = await checkout(pool, { user: "ann", machine: "PC-1" }, { address });
    expect(ok.status).toBe(201);
    // and another address is not affected
    expect((await checkout(wrong, { user: "eve", machine: "PC" }, { address: freshAddress() })).status).toBe(401);
  });

  it("counts wrong vendor tokens and admin keys too, while the right ones keep working", async () => {
    const pool = await createPool(1);
    const badAdmin = pool.adminKey.slice(0, -1) + (pool.adminKey.endsWith("0") ? "1" : "0");
    const { address, statuses, limited } = await inOneRateWindow(async () => {
      const address = freshAddress();
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await call("GET", "/v1/pools", { token: "not-the-vendor-token", address })).status);
      for (let i = 0; i < 5; i++) statuses.push((await call("GET", `/v1/pools/${pool.poolId}`, { token: badAdmin, address })).status);
      return { address, statuses, limited: await call("GET", `/v1/pools/${pool.poolId}`, { token: badAdmin, address }) };
    });
    expect(statuses).toEqual(Array(10).fill(401));
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBeTruthy();
    expect((await call("GET", `/v1/pools/${pool.poolId}`, { token: pool.adminKey, address })).status).toBe(200);
    expect((await call("GET", "/v1/pools", { token: VENDOR, address })).status).toBe(200);
  });

  it("answers an admin key for a pool that does not exist as any wrong key: 401, counted", async () => {
    const pool = await createPool(1);
    const strangersKey = newAdminKey(newPoolId());
    const { nowhere, wrongKey, limited } = await inOneRateWindow(async () => {
      const address = freshAddress();
      const nowhere = await call("GET", `/v1/pools/${parseAdminKey(strangersKey)!.poolId}`, { token: strangersKey, address });
      const wrongKey = await call("GET", `/v1/pools/${pool.poolId}`, { token: newAdminKey(pool.poolId), address });
      for (let i = 0; i < 9; i++) await call("GET", `/v1/pools/${parseAdminKey(strangersKey)!.poolId}`, { token: strangersKey, address });
      const limited = await call("GET", `/v1/pools/${pool.poolId}`, { token: newAdminKey(pool.poolId), address });
      return { nowhere, wrongKey, limited };
    });
    expect(nowhere.status).toBe(401);
    expect(nowhere.body).toEqual(wrongKey.body); // nothing tells a missing pool from a wrong key
    expect(limited.status).toBe(429); // the eleventh failure from that address, the first ten mostly for a pool that does not exist
  });
});
