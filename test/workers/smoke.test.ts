import { describe, expect, it } from "vitest";
import { checkout, createPool, release } from "./helpers";

describe("smoke", () => {
  it("checks a seat out and releases it", async () => {
    const pool = await createPool(2);
    const a = await checkout(pool, { user: "jsmith", machine: "PC-1" });
    expect(a.status, JSON.stringify(a.body)).toBe(201);
    const r = await release(a.body.sessionId, a.body.token);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ released: true, seatFreed: true });
  });
});
