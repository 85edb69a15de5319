import { describe, expect, it } from "vitest";
import { DAY } from "../../src/contract/time";
import { VENDOR, call, checkout, createPool, expectError, heartbeat, poolOf, release, seatsOf, type TestPool } from "./helpers";

const patch = (pool: TestPool, body: unknown, token = VENDOR) => call("PATCH", `/v1/pools/${pool.poolId}`, { token, body });

describe("pool policy settings", () => {
  it("lets only the vendor set the term and the overdraft, and the pool admin the blocklist and groups", async () => {
    const pool = await createPool(3);
    for (const body of [{ validUntil: "2030-01-01T00:00:00Z" }, { validFrom: null }, { overdraftSeats: 2 }]) {
      const res = await patch(pool, body, pool.adminKey);
      expectError(res, 403, "forbidden");
      expect(res.body.error.message).toContain("vendor");
    }
    const own = await patch(pool, { blocked: [{ user: "temp-*", note: "contractors" }], groups: { Design: { reserved: 1, max: 2 } } }, pool.adminKey);
    expect(own.status, JSON.stringify(own.body)).toBe(200);
    expect(own.body).toMatchObject({
      blocked: [{ user: "temp-*", note: "contractors" }],
      groups: { Design: { reserved: 1, max: 2, inUse: 0 } },
      validFrom: null, validUntil: null, overdraftSeats: null,
    });
    const vendor = await patch(pool, { validFrom: "2026-01-01T00:00:00Z", validUntil: "2099-03-31T00:00:00Z", overdraftSeats: 2 });
    expect(vendor.status).toBe(200);
    expect(vendor.body).toMatchObject({ validFrom: "2026-01-01T00:00:00.000Z", validUntil: "2099-03-31T00:00:00.000Z", overdraftSeats: 2 });
    // null clears a setting
    const cleared = await patch(pool, { blocked: null, groups: null }, pool.adminKey);
    expect(cleared.body).toMatchObject({ blocked: null, groups: null });
  });

  it("refuses settings that do not fit together, in the contract's error shape", async () => {
    const pool = await createPool(3);
    const cases: [unknown, string][] = [
      [{ groups: { Design: { reserved: 2 }, Sales: { reserved: 2 } } }, "groups"],
      [{ groups: { Design: { reserved: 1 }, " DESIGN ": { max: 1 } } }, "groups. DESIGN "],
      [{ groups: { Design: { reserved: 3, max: 2 } } }, "groups.Design.reserved"],
      [{ validFrom: "2030-01-01T00:00:00Z", validUntil: "2029-01-01T00:00:00Z" }, "validUntil"],
      [{ blocked: [{ note: "who?" }] }, "blocked.0"],
      [{ blocked: [{ user: "a*b" }] }, "blocked.0.user"],
    ];
    for (const [body, path] of cases) {
      const res = await patch(pool, body);
      expectError(res, 400, "invalid_request");
      expect(res.body.error.details.issues.map((i: { path: string }) => i.path), JSON.stringify(body)).toContain(path);
    }
    for (const body of [{ validUntil: "next tuesday" }, { overdraftSeats: -1 }, { groups: { Design: { max: 1.5 } } }, { blocked: [{ user: "a\u202eb" }] }, { groups: { Design: { seats: 1 } } }]) {
      expectError(await patch(pool, body), 400, "invalid_request");
    }
    // lowering seats below the reservations is refused too
    expect((await patch(pool, { groups: { Design: { reserved: 3 } } })).status).toBe(200);
    expectError(await patch(pool, { seats: 2 }), 400, "invalid_request");
    expect((await poolOf(pool)).seats).toBe(3);
  });
});

describe("the term", () => {
  it("refuses checkouts outside it with its dates, lets running sessions carry on, and warns near its end", async () => {
    const pool = await createPool(2);
    const held = await checkout(pool, { user: "ann", machine: "PC-1" });
    expect(held.status).toBe(201);
    expect(held.body.pool.validUntil).toBeNull();
    expect(held.body.warnings).toBeUndefined();

    const ended = new Date(Date.now() - DAY).toISOString();
    expect((await patch(pool, { validUntil: ended })).status).toBe(200);
    const refused = await checkout(pool, { user: "bob", machine: "PC-2" });
    expectError(refused, 403, "pool_inactive");
    expect(refused.body.error.details).toEqual({ validFrom: null, validUntil: ended });
    expect(refused.body.error.message).toMatch(/licence ended on \d+ \w+ \d{4}/);
    // a new session of the holder is a checkout too; the running one still beats
    expectError(await checkout(pool, { user: "ann", machine: "PC-1" }), 403, "pool_inactive");
    expect((await heartbeat(held.body.sessionId, held.body.token)).status).toBe(200);

    const later = new Date(Date.now() + 30 * DAY).toISOString();
    expect((await patch(pool, { validFrom: later, validUntil: null })).status).toBe(200);
    const early = await checkout(pool, { user: "bob", machine: "PC-2" });
    expectError(early, 403, "pool_inactive");
    expect(early.body.error.message).toContain("starts on");

    const soon = new Date(Date.now() + 10 * DAY).toISOString();
    expect((await patch(pool, { validFrom: null, validUntil: soon })).status).toBe(200);
    const warned = await checkout(pool, { user: "bob", machine: "PC-2" });
    expect(warned.status).toBe(201);
    expect(warned.body.warnings).toEqual([{ code: "pool_expiring", validUntil: soon }]);
    expect(warned.body.pool.validUntil).toBe(soon);
  });
});

describe("the overdraft", () => {
  it("grants up to overdraftSeats beyond seats, marked, and usage shows the peak", async () => {
    const pool = await createPool(1);
    expect((await patch(pool, { overdraftSeats: 2 })).status).toBe(200);
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await checkout(pool, { user: `u${i}`, machine: `PC-${i}` }));
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 409]);
    expect(answers.map((a) => a.body.overdraft)).toEqual([undefined, true, true, undefined]);
    expectError(answers[3]!, 409, "pool_full");
    const usage = await call("GET", `/v1/pools/${pool.poolId}/usage`, { token: VENDOR });
    expect(usage.body.buckets.at(-1)).toMatchObject({ peakInUse: 3, overdraftPeak: 2 });
    expect(usage.body.buckets[0].overdraftPeak).toBe(0);
  });
});

describe("the blocklist", () => {
  it("refuses a matching user or machine, naming the IT department, and ends nobody", async () => {
    const pool = await createPool(5);
    const temp = await checkout(pool, { user: "TEMP-7", machine: "PC-1" });
    expect(temp.status).toBe(201);
    expect((await patch(pool, { blocked: [{ user: "temp-*" }, { machine: "kiosk-3" }] }, pool.adminKey)).status).toBe(200);
    for (const who of [{ user: "temp-9", machine: "PC-2" }, { user: "ann", machine: "KIOSK-3" }, { user: "ＴＥＭＰ-1", machine: "PC-3" }]) {
      const res = await checkout(pool, who);
      expectError(res, 403, "blocked");
      expect(res.body.error.message).toContain("IT department");
    }
    expect((await checkout(pool, { user: "ann", machine: "PC-4" })).status).toBe(201);
    // the blocked holder keeps its running session
    expect((await heartbeat(temp.body.sessionId, temp.body.token)).status).toBe(200);
    expect((await seatsOf(pool)).map((s) => s.user).sort()).toEqual(["TEMP-7", "ann"]);
    const events = await call("GET", `/v1/pools/${pool.poolId}/events`, { token: VENDOR });
    expect(events.body.events.filter((e: any) => e.type === "denied").map((e: any) => e.details.reason)).toContain("blocked");
  });
});

describe("groups", () => {
  it("caps a group at max, keeps reserved seats for it, and shows the figures", async () => {
    const pool = await createPool(4);
    expect((await patch(pool, { groups: { Design: { reserved: 2, max: 3 }, Sales: { max: 1 } } }, pool.adminKey)).status).toBe(200);
    expect((await checkout(pool, { user: "s1", machine: "PC-1", group: "sales" })).status).toBe(201);
    const salesFull = await checkout(pool, { user: "s2", machine: "PC-2", group: "SALES" });
    expectError(salesFull, 409, "group_full");
    expect(salesFull.body.error.details).toEqual({ group: "Sales", max: 1, inUse: 1 });
    expect((await checkout(pool, { user: "x1", machine: "PC-3" })).status).toBe(201);
    // two seats left, both reserved for Design: others are told the pool is full
    expectError(await checkout(pool, { user: "x2", machine: "PC-4" }), 409, "pool_full");
    const d1 = await checkout(pool, { user: "d1", machine: "PC-5", group: "Design" });
    expect(d1.status).toBe(201);
    expect((await checkout(pool, { user: "d2", machine: "PC-6", group: "design" })).status).toBe(201);
    expect((await poolOf(pool)).groups).toEqual({ Design: { reserved: 2, max: 3, inUse: 2 }, Sales: { reserved: null, max: 1, inUse: 1 } });
    expect((await seatsOf(pool)).map((s) => s.group).sort()).toEqual(["design", "design", null, "sales"]);
    // a released seat leaves its group's count
    expect((await release(d1.body.sessionId, d1.body.token)).status).toBe(200);
    expect((await poolOf(pool)).groups.Design.inUse).toBe(1);
  });

  it("rejects a group name with control characters", async () => {
    const pool = await createPool(1);
    expectError(await checkout(pool, { user: "a", machine: "b", group: "De\nsign" }), 400, "invalid_request");
  });
});
