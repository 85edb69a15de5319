import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { VENDOR, auditOf, call, checkout, createPool, expectError, heartbeat, openSocket, release, seatsOf, upgradeTo } from "./helpers";

const upgrade = (sessionId: string, headers: Record<string, string>) => upgradeTo(`/v1/sessions/${sessionId}/live`, headers);
const open = (sessionId: string, headers: Record<string, string>) => openSocket(`/v1/sessions/${sessionId}/live`, headers);

const bearerOf = (token: string) => ({ authorization: `Bearer ${token}` });

describe("the live channel", () => {
  it("says hello, answers ping with pong, and tells the client at once that an admin freed its seat", async () => {
    const pool = await createPool(2);
    const s = await checkout(pool, { user: "ann", machine: "PC-1" });
    const live = await open(s.body.sessionId, bearerOf(s.body.token));
    expect(JSON.parse(await live.next(1))).toEqual({ type: "hello", sessionId: s.body.sessionId, seatId: s.body.seatId, pool: { poolId: pool.poolId, seats: 2, inUse: 1 } });
    live.ws.send("ping");
    expect(await live.next(2)).toBe("pong");

    expect((await call("DELETE", `/v1/pools/${pool.poolId}/seats/${s.body.seatId}`, { token: pool.adminKey })).status).toBe(200);
    expect(JSON.parse(await live.next(3))).toEqual({ type: "ended", reason: "freed" });
    expect((await live.closed).code).toBe(1000);
    expect((await heartbeat(s.body.sessionId, s.body.token)).body.error.details.reason).toBe("freed");
  });

  it("authenticates a browser by its subprotocols and answers seatkeeper.v1; tells every channel of a revocation that ends sessions", async () => {
    const pool = await createPool(2);
    const a = await checkout(pool, { user: "ann", machine: "PC-1" });
    const b = await checkout(pool, { user: "bob", machine: "PC-2" });
    const la = await open(a.body.sessionId, { "Sec-WebSocket-Protocol": `seatkeeper.v1, bearer.${a.body.token}` });
    expect(la.res.headers.get("sec-websocket-protocol")).toBe("seatkeeper.v1");
    const lb = await open(b.body.sessionId, bearerOf(b.body.token));
    await la.next(1);
    await lb.next(1);
    const rotated = await call("POST", `/v1/pools/${pool.poolId}/credentials`, { token: VENDOR, body: { endSessions: true } });
    expect(rotated.status).toBe(201);
    expect(JSON.parse(await la.next(2))).toEqual({ type: "ended", reason: "revoked" });
    expect(JSON.parse(await lb.next(2))).toEqual({ type: "ended", reason: "revoked" });
  });

  it("refuses before any upgrade: no or a foreign token 401, an ended session 410, a plain GET 400 upgrade_required", async () => {
    const pool = await createPool(2);
    const a = await checkout(pool, { user: "ann", machine: "PC-1" });
    const b = await checkout(pool, { user: "bob", machine: "PC-2" });
    const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as any });
    expectError(await json(await upgrade(a.body.sessionId, { Upgrade: "websocket" })), 401, "invalid_token");
    expectError(await json(await upgrade(a.body.sessionId, { Upgrade: "websocket", ...bearerOf(b.body.token) })), 401, "invalid_token");
    expectError(await json(await upgrade(a.body.sessionId, { Upgrade: "websocket", "Sec-WebSocket-Protocol": `bearer.${a.body.token}` })), 401, "invalid_token");
    expectError(await json(await upgrade(a.body.sessionId, bearerOf(a.body.token))), 400, "upgrade_required");
    await release(a.body.sessionId, a.body.token);
    const ended = await json(await upgrade(a.body.sessionId, { Upgrade: "websocket", ...bearerOf(a.body.token) }));
    expectError(ended, 410, "session_ended");
    expect(ended.body.error.details.reason).toBe("released");
  });

  it("is presence for stale expiry: a connected seat is kept, and expires once its channel is gone", async () => {
    const pool = await createPool(2, { staleAfterHours: 1 });
    const stub = env.POOL.get(env.POOL.idFromName(pool.poolId));
    const s = await checkout(pool, { user: "ann", machine: "PC-1" });
    const live = await open(s.body.sessionId, bearerOf(s.body.token));
    await live.next(1);
    const age = () =>
      runInDurableObject(stub, (_i, state) => {
        state.storage.sql.exec("UPDATE seats SET last_seen_at = last_seen_at - 7200000");
        state.storage.sql.exec("UPDATE sessions SET last_seen_at = last_seen_at - 7200000");
        state.storage.sql.exec("UPDATE timers SET due_at = due_at - 7200000");
      });
    await age();
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await seatsOf(pool)).toHaveLength(1); // connected: kept
    expect(await auditOf(pool)).toEqual({ inUse: 1, activeSeats: 1, activeSessions: 1 });

    live.ws.close(1000, "bye");
    await live.closed;
    await age();
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await seatsOf(pool)).toHaveLength(0); // gone and stale: expired
  });

  it("tells the client its own release too", async () => {
    const pool = await createPool(1);
    const s = await checkout(pool, { user: "ann", machine: "PC-1" });
    const live = await open(s.body.sessionId, bearerOf(s.body.token));
    await live.next(1);
    expect((await release(s.body.sessionId, s.body.token)).status).toBe(200);
    expect(JSON.parse(await live.next(2))).toEqual({ type: "ended", reason: "released" });
  });
});
