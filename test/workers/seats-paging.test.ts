import { describe, expect, it } from "vitest";
import { VENDOR, call, checkout, createPool } from "./helpers";

describe("the seat list, paged", () => {
  it("pages 3,000 seats oldest first, every seat once, with the total; q filters by user or machine", { timeout: 300_000 }, async () => {
    const pool = await createPool(3000);
    let next = 0;
    await Promise.all(Array.from({ length: 25 }, async () => {
      while (next < 3000) {
        const i = next++;
        const res = await checkout(pool, { user: `user-${String(i).padStart(4, "0")}`, machine: i % 100 === 7 ? "DRAFTING-PC" : `PC-${i}` });
        expect(res.status).toBe(201);
      }
    }));

    const first = await call("GET", `/v1/pools/${pool.poolId}/seats`, { token: VENDOR });
    expect(first.body.seats).toHaveLength(100); // the default page
    expect(first.body.total).toBe(3000);
    expect(JSON.stringify(first.body).length).toBeLessThan(60_000);

    const seen: any[] = [];
    let cursor = "";
    let pages = 0;
    for (;;) {
      const res = await call("GET", `/v1/pools/${pool.poolId}/seats?limit=500${cursor}`, { token: VENDOR });
      expect(res.status).toBe(200);
      pages++;
      seen.push(...res.body.seats);
      if (!res.body.next) break;
      cursor = `&cursor=${encodeURIComponent(res.body.next)}`;
    }
    expect(pages).toBe(6);
    expect(new Set(seen.map((s) => s.seatId)).size).toBe(3000);
    const since = seen.map((s) => Date.parse(s.since));
    expect(since).toEqual([...since].sort((a, b) => a - b));

    const drafting = await call("GET", `/v1/pools/${pool.poolId}/seats?q=drafting`, { token: VENDOR });
    expect(drafting.body.total).toBe(30);
    expect(drafting.body.seats.every((s: any) => s.machine === "DRAFTING-PC")).toBe(true);
    const one = await call("GET", `/v1/pools/${pool.poolId}/seats?q=USER-0042`, { token: VENDOR });
    expect(one.body.seats.map((s: any) => s.user)).toEqual(["user-0042"]);
    const none = await call("GET", `/v1/pools/${pool.poolId}/seats?q=${encodeURIComponent('%_"')}`, { token: VENDOR });
    expect(none.body).toMatchObject({ seats: [], total: 0, next: null });
    expect((await call("GET", `/v1/pools/${pool.poolId}/seats?limit=501`, { token: VENDOR })).status).toBe(400);
  });
});
