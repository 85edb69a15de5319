import { describe, expect, it } from "vitest";
import { auditOf, call, checkout, createPool, expectError, heartbeat, poolOf, release, seatsOf, sessionStatus } from "./helpers";

describe("seats and sessions", () => {
  it("lets two sessions of one identity share a seat, which frees only with the last of them", async () => {
    const pool = await createPool(1);
    const first = await checkout(pool, { user: "jsmith", machine: "PC-0042" });
    const second = await checkout(pool, { user: "jsmith", machine: "PC-0042" });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(first.body.seatShared).toBe(false);
    expect(second.body.seatShared).toBe(true);
    expect(second.body.seatId).toBe(first.body.seatId);
    expect(second.body.sessionId).not.toBe(first.body.sessionId);
    expect(second.body.pool).toMatchObject({ seats: 1, inUse: 1 });

    const r1 = await release(first.body.sessionId, first.body.token);
    expect(r1.body).toMatchObject({ released: true, seatFreed: false, pool: { inUse: 1 } });
    const r2 = await release(second.body.sessionId, second.body.token);
    expect(r2.body).toMatchObject({ released: true, seatFreed: true, pool: { inUse: 0 } });
    expect(await auditOf(pool)).toEqual({ inUse: 0, activeSeats: 0, activeSessions: 0 });
  });

  it("gives each terminal session on one server its own seat", async () => {
    const pool = await createPool(3);
    const sessions = await Promise.all(
      ["RDP-Tcp#1", "RDP-Tcp#2", "ICA-tcp#7"].map((tsn) => checkout(pool, { user: "shared-svc", machine: "CITRIX-01", terminalSession: tsn })),
    );
    expect(sessions.map((s) => s.status)).toEqual([201, 201, 201]);
    expect(new Set(sessions.map((s) => s.body.seatId)).size).toBe(3);
    const fourth = await checkout(pool, { user: "shared-svc", machine: "CITRIX-01", terminalSession: "RDP-Tcp#4" });
    expect(fourth.status).toBe(409);
    // the console session of the same user and machine is another identity too
    const consoleSession = await checkout(pool, { user: "shared-svc", machine: "CITRIX-01" });
    expect(consoleSession.status).toBe(409);
    const seats = await seatsOf(pool);
    expect(seats.map((s) => s.terminalSession).sort()).toEqual(["ICA-tcp#7", "RDP-Tcp#1", "RDP-Tcp#2"]);
  });

  it("still admits an identity that holds a seat when the pool is full", async () => {
    const pool = await createPool(2);
    const a = await checkout(pool, { user: "ann", machine: "PC-1" });
    await checkout(pool, { user: "bob", machine: "PC-2" });
    const carol = await checkout(pool, { user: "carol", machine: "PC-3" });
    expect(carol.status).toBe(409);
    expect(carol.body.error.message).toBe("All 2 seats of this pool are in use.");
    const annAgain = await checkout(pool, { user: "ann", machine: "PC-1" });
    expect(annAgain.status).toBe(201);
    expect(annAgain.body).toMatchObject({ seatShared: true, seatId: a.body.seatId, pool: { seats: 2, inUse: 2 } });
  });

  it("compares identities case-insensitively and without surrounding white space, and shows them as sent", async () => {
    const pool = await createPool(1);
    const a = await checkout(pool, { user: "JSmith", machine: "pc-0042", terminalSession: "RDP-Tcp#3" });
    const b = await checkout(pool, { user: "  jsmith ", machine: "PC-0042\t", terminalSession: " rdp-tcp#3" });
    expect(b.status).toBe(201);
    expect(b.body.seatId).toBe(a.body.seatId);
    expect(b.body.seatShared).toBe(true);
    const [seat] = await seatsOf(pool);
    expect(seat).toMatchObject({ user: "JSmith", machine: "pc-0042", terminalSession: "RDP-Tcp#3" });
    // a different user on the same machine is not the same identity
    const c = await checkout(pool, { user: "jsmith2", machine: "PC-0042", terminalSession: "RDP-Tcp#3" });
    expect(c.status).toBe(409);
  });

  it("answers a repeated instance with the session already made for it, without taking another", async () => {
    const pool = await createPool(2);
    const who = { user: "ann", machine: "PC-1", instance: "launch-9f1c" };
    const first = await checkout(pool, who);
    const retry = await checkout(pool, who);
    expect(first.status).toBe(201);
    expect(retry.status).toBe(200);
    expect(retry.body.sessionId).toBe(first.body.sessionId);
    expect(retry.body.seatId).toBe(first.body.seatId);
    expect(await auditOf(pool)).toEqual({ inUse: 1, activeSeats: 1, activeSessions: 1 });
    // the retried answer's token works like the first
    const hb = await heartbeat(retry.body.sessionId, retry.body.token);
    expect(hb.status).toBe(200);
    // another identity cannot claim that instance
    const thief = await checkout(pool, { user: "mallory", machine: "PC-9", instance: "launch-9f1c" });
    expect(thief.status).toBe(400);
    expect(thief.body.error.code).toBe("invalid_request");
    expect(await auditOf(pool)).toEqual({ inUse: 1, activeSeats: 1, activeSessions: 1 });
  });

  it("answers many concurrent retries of one instance with one session", async () => {
    const pool = await createPool(3);
    const answers = await Promise.all(Array.from({ length: 20 }, () => checkout(pool, { user: "ann", machine: "PC-1", instance: "same-launch" })));
    expect(new Set(answers.map((a) => a.body.sessionId)).size).toBe(1);
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(19);
    expect(await auditOf(pool)).toEqual({ inUse: 1, activeSeats: 1, activeSessions: 1 });
  });

  it("reports a session's status, heartbeats it, and tells a released session apart", async () => {
    const pool = await createPool(1);
    const s = await checkout(pool, { user: "ann", machine: "PC-1", clientVersion: "16.0.2" });
    const st = await sessionStatus(s.body.sessionId, s.body.token);
    expect(st.status).toBe(200);
    expect(st.body).toMatchObject({
      sessionId: s.body.sessionId, seatId: s.body.seatId, user: "ann", machine: "PC-1",
      terminalSession: null, clientVersion: "16.0.2", active: true,
    });
    expect(Date.parse(st.body.startedAt)).not.toBeNaN();
    const hb = await heartbeat(s.body.sessionId, s.body.token);
    expect(hb.body).toEqual({ active: true, pool: { poolId: pool.poolId, seats: 1, inUse: 1 } });

    expect((await release(s.body.sessionId, s.body.token)).body.released).toBe(true);
    const again = await release(s.body.sessionId, s.body.token);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ released: false, reason: "released" });
    const hb2 = await heartbeat(s.body.sessionId, s.body.token);
    expect(hb2.status).toBe(410);
    expect(hb2.body.error).toMatchObject({ code: "session_ended", details: { reason: "released" } });
    expect((await sessionStatus(s.body.sessionId, s.body.token)).body.active).toBe(false);
    expect((await poolOf(pool)).inUse).toBe(0);
  });

  it("takes a bodiless heartbeat and rotation as version 1 clients send them, content-type: application/json and no body", async () => {
    const pool = await createPool(1);
    const s = await checkout(pool, { user: "ann", machine: "PC-1" });
    const json = { "content-type": "application/json" };
    for (const rawBody of ["", "  \n"]) {
      const hb = await call("POST", `/v1/sessions/${s.body.sessionId}/heartbeat`, { token: s.body.token, headers: json, rawBody });
      expect(hb.status, JSON.stringify(hb.body)).toBe(200);
      expect(hb.body).toMatchObject({ active: true, pool: { inUse: 1 } });
    }
    // a body that is there is still read, and a broken one still refused
    const bad = await call("POST", `/v1/sessions/${s.body.sessionId}/heartbeat`, { token: s.body.token, headers: json, rawBody: "{" });
    expectError(bad, 400, "invalid_request");
    const rotated = await call("POST", `/v1/pools/${pool.poolId}/credentials`, { token: pool.adminKey, headers: json, rawBody: "" });
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(201);
    expect(rotated.body.sessionsEnded).toBe(0); // the default: running sessions carry on
    expect((await heartbeat(s.body.sessionId, s.body.token)).status).toBe(200);
  });

  it("accepts the serial and product key in any case and with or without dashes", async () => {
    const pool = await createPool(1);
    const res = await checkout(
      { ...pool, serial: pool.serial.toLowerCase().replace(/-/g, ""), productKey: ` ${pool.productKey.toLowerCase()} ` },
      { user: "ann", machine: "PC-1" },
    );
    expect(res.status).toBe(201);
  });
});
