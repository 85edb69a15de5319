import { describe, expect, it } from "vitest";
import { VENDOR, call, checkout, createPool, freshAddress } from "./helpers";

describe("brute-force limits on failed authentication", () => {
  it("answers 429 with Retry-After after 10 failures a minute from one address, yet never refuses valid credentials", async () => {
    const pool = await createPool(5);
    const address = freshAddress();
    const wrong = { ...pool, productKey: "ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ" };
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await checkout(wrong, { user: "eve", machine: "PC" }, { address })).status);
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses.slice(10)).toEqual([429, 429]);
    const limited = await checkout(wrong, { user: "eve", machine: "PC" }, { address });
    expect(limited.body.error.code).toBe("rate_limited");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);

    // one misconfigured PC does not lock the office out: valid credentials from the same address still work
    const ok = await checkout(pool, { user: "ann", machine: "PC-1" }, { address });
    expect(ok.status).toBe(201);
    // and another address is not affected
    expect((await checkout(wrong, { user: "eve", machine: "PC" }, { address: freshAddress() })).status).toBe(401);
  });

  it("counts wrong vendor tokens and admin keys too, while the right ones keep working", async () => {
    const pool = await createPool(1);
    const address = freshAddress();
    const badAdmin = pool.adminKey.slice(0, -1) + (pool.adminKey.endsWith("0") ? "1" : "0");
    for (let i = 0; i < 5; i++) expect((await call("GET", "/v1/pools", { token: "not-the-vendor-token", address })).status).toBe(401);
    for (let i = 0; i < 5; i++) expect((await call("GET", `/v1/pools/${pool.poolId}`, { token: badAdmin, address })).status).toBe(401);
    const limited = await call("GET", `/v1/pools/${pool.poolId}`, { token: badAdmin, address });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBeTruthy();
    expect((await call("GET", `/v1/pools/${pool.poolId}`, { token: pool.adminKey, address })).status).toBe(200);
    expect((await call("GET", "/v1/pools", { token: VENDOR, address })).status).toBe(200);
  });
});
