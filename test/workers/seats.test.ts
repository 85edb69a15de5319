import { describe, expect, it } from "vitest";
import { auditOf, call, checkout, createPool, heartbeat, release, seatsOf, sessionStatus } from "./helpers";

describe("freeing a stuck seat", () => {
  it("ends all the seat's sessions as freed; the client learns it on its next call and the seat is free for someone else", async () => {
    const pool = await createPool(1);
    const first = await checkout(pool, { user: "onleave", machine: "PC-1" });
    const second = await checkout(pool, { user: "onleave", machine: "PC-1" });
    expect((await checkout(pool, { user: "newhire", machine: "PC-2" })).status).toBe(409);

    const freed = await call("DELETE", `/v1/pools/${pool.poolId}/seats/${first.body.seatId}`, { token: pool.adminKey });
    expect(freed.status).toBe(200);
    expect(freed.body).toEqual({ freed: true, pool: { poolId: pool.poolId, seats: 1, inUse: 0 } });

    for (const s of [first, second]) {
      const hb = await heartbeat(s.body.sessionId, s.body.token);
      expect(hb.status).toBe(410);
      expect(hb.body.error).toMatchObject({ code: "session_ended", details: { reason: "freed" } });
      expect((await sessionStatus(s.body.sessionId, s.body.token)).body).toMatchObject({ active: false, reason: "freed" });
      expect((await release(s.body.sessionId, s.body.token)).body).toMatchObject({ released: false, reason: "freed" });
    }
    expect((await checkout(pool, { user: "newhire", machine: "PC-2" })).status).toBe(201);
    expect((await seatsOf(pool)).map((s) => s.user)).toEqual(["newhire"]);
    expect(await auditOf(pool)).toEqual({ inUse: 1, activeSeats: 1, activeSessions: 1 });

    const again = await call("DELETE", `/v1/pools/${pool.poolId}/seats/${first.body.seatId}`, { token: pool.adminKey });
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe("not_found");
  });

  it("records who freed the seat in the audit log", async () => {
    const pool = await createPool(2);
    const s = await checkout(pool, { user: "ann", machine: "PC-1" });
    await call("DELETE", `/v1/pools/${pool.poolId}/seats/${s.body.seatId}`, { token: pool.adminKey });
    const events = (await call("GET", `/v1/pools/${pool.poolId}/events`, { token: pool.adminKey })).body.events;
    expect(events[0]).toMatchObject({ type: "freed", actor: "admin:first admin", seatId: s.body.seatId, user: "ann", machine: "PC-1", details: { sessionsEnded: 1 } });
  });
});
