/**
 * The pool policy's invariants over random sequences of checkouts, releases and setting
 * changes, against the real pool object in the Workers runtime, read back from the
 * server's own records (the pool's figures and the seat list) after every step.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { foldText } from "../../src/contract/text";
import { VENDOR, call, checkout, createPool, poolOf, release, seatsOf, type TestPool } from "./helpers";

type Groups = Record<string, { reserved?: number; max?: number }>;
interface Settings { seats: number; overdraftSeats: number; groups: Groups; blocked: { user: string }[] }

const USERS = ["ann", "bob", "cat", "dan", "eve", "fay", "gus", "hal"];
const GROUPS = ["Design", "Sales", undefined] as const;

const groupsArb: fc.Arbitrary<Groups> = fc.record({
  Design: fc.record({ reserved: fc.integer({ min: 0, max: 2 }), max: fc.integer({ min: 1, max: 4 }) }, { requiredKeys: [] }),
  Sales: fc.record({ reserved: fc.integer({ min: 0, max: 2 }), max: fc.integer({ min: 0, max: 3 }) }, { requiredKeys: [] }),
}).filter((g) => Object.values(g).every((x) => x.reserved === undefined || x.max === undefined || x.reserved <= x.max));

const step = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("checkout" as const), user: fc.integer({ min: 0, max: 7 }), group: fc.constantFrom(...GROUPS) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("release" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("groups" as const), groups: groupsArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("overdraft" as const), overdraftSeats: fc.integer({ min: 0, max: 2 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("block" as const), users: fc.subarray(["ann", "b*", "EVE"]) }) },
);

const reservedOf = (g: Groups) => Object.values(g).reduce((n, x) => n + (x.reserved ?? 0), 0);
const blockedUser = (s: Settings, user: string) =>
  s.blocked.some((b) => (b.user.endsWith("*") ? foldText(user).startsWith(foldText(b.user.slice(0, -1))) : foldText(user) === foldText(b.user)));

/** The server's figures: seats per group (folded) from the seat list, and the pool's counters. */
async function figures(pool: TestPool) {
  const [details, seats] = [await poolOf(pool), await seatsOf(pool)];
  const byGroup = new Map<string | null, number>();
  for (const s of seats) byGroup.set(s.group, (byGroup.get(s.group) ?? 0) + 1);
  return { details, seats, byGroup };
}

/** Seats the groups other than `group` still have reserved: what nobody else may take. */
function heldBack(s: Settings, byGroup: Map<string | null, number>, group: string | null): number {
  let n = 0;
  for (const [name, g] of Object.entries(s.groups)) if (foldText(name) !== group) n += Math.max(0, (g.reserved ?? 0) - (byGroup.get(foldText(name)) ?? 0));
  return n;
}

describe("pool policy properties", () => {
  it("in use never passes seats + overdraftSeats, a group never passes its max, others never eat reservations, the blocked get nothing", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 4 }), groupsArb, fc.array(step, { minLength: 4, maxLength: 14 }), async (seats, initial, steps) => {
        const pool = await createPool(seats);
        const s: Settings = { seats, overdraftSeats: 0, groups: {}, blocked: [] };
        steps.unshift({ kind: "groups", groups: initial });
        const held: { sessionId: string; token: string }[] = [];
        for (const st of steps) {
          if (st.kind === "checkout") {
            const before = await figures(pool);
            const user = USERS[st.user]!;
            const group = st.group === undefined ? null : foldText(st.group);
            const res = await checkout(pool, { user, machine: `PC-${user}`, ...(st.group ? { group: st.group } : {}) });
            if (res.status === 201) {
              held.push({ sessionId: res.body.sessionId, token: res.body.token });
              expect(blockedUser(s, user), `${user} is blocked`).toBe(false);
              if (!res.body.seatShared) {
                const after = await figures(pool);
                const g = after.details.groups?.[st.group ?? ""];
                expect(after.details.inUse).toBeLessThanOrEqual(s.seats + s.overdraftSeats);
                expect(res.body.overdraft === true).toBe(after.details.inUse > s.seats);
                if (g && g.max !== null) expect(g.inUse).toBeLessThanOrEqual(g.max);
                // the seat came out of what was free once the other groups' reservations were kept
                const known = group !== null && Object.keys(s.groups).some((n) => foldText(n) === group) ? group : null;
                expect(before.details.inUse + heldBack(s, before.byGroup, known)).toBeLessThan(s.seats + s.overdraftSeats);
              }
            } else {
              expect([403, 409], JSON.stringify(res.body)).toContain(res.status);
              expect(["blocked", "pool_full", "group_full"]).toContain(res.body.error.code);
              if (res.body.error.code === "blocked") expect(blockedUser(s, user)).toBe(true);
            }
          } else if (st.kind === "release") {
            if (held.length === 0) continue;
            const [h] = held.splice(st.pick % held.length, 1);
            expect((await release(h!.sessionId, h!.token)).status).toBe(200);
          } else {
            const body = st.kind === "groups" ? { groups: st.groups } : st.kind === "overdraft" ? { overdraftSeats: st.overdraftSeats } : { blocked: st.users.map((user) => ({ user })) };
            const res = await call("PATCH", `/v1/pools/${pool.poolId}`, { token: VENDOR, body });
            if (st.kind === "groups" && reservedOf(st.groups) > seats) {
              expect(res.status).toBe(400);
              continue;
            }
            expect(res.status, JSON.stringify(res.body)).toBe(200);
            if (st.kind === "groups") s.groups = st.groups;
            if (st.kind === "overdraft") s.overdraftSeats = st.overdraftSeats;
            if (st.kind === "block") s.blocked = st.users.map((user) => ({ user }));
          }
          // every step: the pool's group counts agree with its seat list
          const now = await figures(pool);
          expect(now.details.inUse).toBe(now.seats.length);
          for (const [name, g] of Object.entries(now.details.groups ?? {}) as [string, { inUse: number }][]) {
            expect(g.inUse).toBe(now.byGroup.get(foldText(name)) ?? 0);
          }
        }
      }),
      { numRuns: 25 },
    );
  });
});

describe("a storm across groups", () => {
  it("300 concurrent checkouts hold the same invariants, read back from the seat list and the events", async () => {
    const pool = await createPool(20);
    const groups = { Design: { reserved: 5, max: 8 }, Sales: { reserved: 5, max: 10 }, Support: { max: 4 } };
    expect((await call("PATCH", `/v1/pools/${pool.poolId}`, { token: VENDOR, body: { overdraftSeats: 5, groups, blocked: [{ user: "temp-*" }] } })).status).toBe(200);
    // the reserved groups ask last, so only the reservations keep seats for them
    const groupOf = (i: number) => (i < 150 ? [undefined, "SUPPORT"][i % 2] : ["Design", "sales"][i % 2]);
    const answers = await Promise.all(
      Array.from({ length: 300 }, (_, i) => {
        const g = groupOf(i);
        return checkout(pool, { user: i % 10 === 9 ? `temp-${i}` : `user${i}`, machine: `PC-${i}`, ...(g ? { group: g } : {}) });
      }),
    );
    const granted = answers.filter((a) => a.status === 201);
    for (const [i, a] of answers.entries()) {
      if (a.status === 201) continue;
      const expected = i % 10 === 9 ? ["blocked"] : ["pool_full", "group_full"];
      expect(expected, JSON.stringify(a.body)).toContain(a.body.error.code);
    }
    expect(answers.every((a, i) => i % 10 !== 9 || a.status === 403)).toBe(true);

    const seats = await seatsOf(pool);
    const count = (g: string | null) => seats.filter((s) => s.group === g).length;
    expect(seats).toHaveLength(granted.length);
    expect(seats.length).toBeLessThanOrEqual(25);
    expect(seats.filter((s) => s.user.startsWith("temp-"))).toEqual([]);
    expect(count("design")).toBeLessThanOrEqual(8);
    expect(count("sales")).toBeLessThanOrEqual(10);
    expect(count("support")).toBeLessThanOrEqual(4);
    // others never ate a reservation: at most 25 - 5 seats outside each reserved group
    expect(seats.length - count("design")).toBeLessThanOrEqual(20);
    expect(seats.length - count("sales")).toBeLessThanOrEqual(20);
    // with enough demand every reservation was served and the pool filled to its overdraft
    expect(count("design")).toBeGreaterThanOrEqual(5);
    expect(count("sales")).toBeGreaterThanOrEqual(5);
    expect(seats.length).toBe(25);
    expect(granted.filter((a) => a.body.overdraft === true)).toHaveLength(5);

    const details = await poolOf(pool);
    expect(details.groups).toEqual({
      Design: { reserved: 5, max: 8, inUse: count("design") },
      Sales: { reserved: 5, max: 10, inUse: count("sales") },
      Support: { reserved: null, max: 4, inUse: count("support") },
    });
    const events = (await call("GET", `/v1/pools/${pool.poolId}/events?limit=500`, { token: VENDOR })).body.events;
    expect(events.filter((e: any) => e.type === "checkout")).toHaveLength(25);
    const reasons = new Set(events.filter((e: any) => e.type === "denied").map((e: any) => e.details.reason));
    expect(reasons).toEqual(new Set(["blocked", "pool_full", "group_full"]));
  });
});
