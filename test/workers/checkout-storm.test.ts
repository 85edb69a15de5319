import { describe, expect, it } from "vitest";
import { auditOf, checkout, createPool, seatsOf } from "./helpers";

describe("a storm of checkouts on a small pool", () => {
  it("grants exactly as many seats as the pool has, each to a distinct session, and refuses the rest as pool_full", async () => {
    const pool = await createPool(5);
    const answers = await Promise.all(
      Array.from({ length: 150 }, (_, i) => checkout(pool, { user: `user${i}`, machine: `PC-${i}` })),
    );

    const granted = answers.filter((a) => a.status === 201);
    const refused = answers.filter((a) => a.status !== 201);
    expect(granted).toHaveLength(5);
    expect(new Set(granted.map((a) => a.body.sessionId)).size).toBe(5);
    expect(new Set(granted.map((a) => a.body.seatId)).size).toBe(5);
    for (const r of refused) {
      expect(r.status).toBe(409);
      expect(r.body.error.code).toBe("pool_full");
      expect(r.body.error.details).toEqual({ seats: 5, inUse: 5 });
    }

    // From the server's own records: the seat list, the counter and a recount of the rows agree.
    const seats = await seatsOf(pool);
    expect(seats).toHaveLength(5);
    expect(new Set(seats.map((s) => s.seatId))).toEqual(new Set(granted.map((a) => a.body.seatId)));
    expect(seats.flatMap((s) => s.sessions.map((x: any) => x.sessionId)).sort()).toEqual(granted.map((a) => a.body.sessionId).sort());
    expect(await auditOf(pool)).toEqual({ inUse: 5, activeSeats: 5, activeSessions: 5 });
  });

  it("never over-allocates when the same few identities storm a pool together with strangers", async () => {
    // each identity sends 12 checkouts: room for all of them on its seat, so every refusal is about seats
    const pool = await createPool(3, { maxSessionsPerSeat: 100 });
    const answers = await Promise.all(
      Array.from({ length: 120 }, (_, i) => checkout(pool, { user: `u${i % 10}`, machine: "TS-01", terminalSession: `RDP-Tcp#${i % 10}` })),
    );
    const granted = answers.filter((a) => a.status === 201);
    const refused = answers.filter((a) => a.status !== 201);
    const seatIds = new Set(granted.map((a) => a.body.seatId));
    expect(seatIds.size).toBe(3);
    // Every identity that holds a seat joined it; everyone else was told the pool is full, and nothing else.
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) {
      expect(r.status, JSON.stringify(r.body)).toBe(409);
      expect(r.body.error.code).toBe("pool_full");
      expect(r.body.error.details).toEqual({ seats: 3, inUse: 3 });
    }
    // A full pool still admits an identity that holds a seat: no one was refused whose identity got one.
    const userOf = (i: number) => `u${i % 10}`;
    const grantedUsers = new Set(answers.flatMap((a, i) => (a.status === 201 ? [userOf(i)] : [])));
    const refusedUsers = new Set(answers.flatMap((a, i) => (a.status !== 201 ? [userOf(i)] : [])));
    expect(grantedUsers.size).toBe(3);
    expect([...refusedUsers].filter((u) => grantedUsers.has(u))).toEqual([]);
    expect(new Set(granted.map((a) => a.body.sessionId)).size).toBe(granted.length);
    const audit = await auditOf(pool);
    expect(audit).toEqual({ inUse: 3, activeSeats: 3, activeSessions: granted.length });
  });
});
