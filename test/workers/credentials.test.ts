import { describe, expect, it } from "vitest";
import { VENDOR, auditOf, call, checkout, createPool, freshAddress, heartbeat, release, sessionStatus } from "./helpers";

describe("revoking and reissuing a pool's serial and product key", () => {
  it("lets running sessions carry on and release, and refuses the old pair as revoked", async () => {
    const pool = await createPool(3);
    const running = await checkout(pool, { user: "ann", machine: "PC-1" });
    const rotated = await call("POST", `/v1/pools/${pool.poolId}/credentials`, { token: pool.adminKey, body: { endSessions: false } });
    expect(rotated.status).toBe(201);
    expect(rotated.body.serial).not.toBe(pool.serial);
    expect(rotated.body.productKey).not.toBe(pool.productKey);
    expect(rotated.body.sessionsEnded).toBe(0);

    const old = await checkout(pool, { user: "bob", machine: "PC-2" });
    expect(old.status).toBe(403);
    expect(old.body.error.code).toBe("credentials_revoked");
    expect(old.body.error.message).toMatch(/new serial number and product key/);
    // the new serial with the old key is simply wrong, not "revoked"
    const mixed = await checkout({ ...pool, serial: rotated.body.serial }, { user: "bob", machine: "PC-2" }, { address: freshAddress() });
    expect(mixed.body.error.code).toBe("invalid_credentials");

    const fresh = await checkout({ ...pool, ...rotated.body }, { user: "bob", machine: "PC-2" });
    expect(fresh.status).toBe(201);
    expect((await poolSerial(pool.poolId))).toBe(rotated.body.serial);

    expect((await heartbeat(running.body.sessionId, running.body.token)).status).toBe(200);
    const released = await release(running.body.sessionId, running.body.token);
    expect(released.body).toMatchObject({ released: true, seatFreed: true });
    expect(await auditOf(pool)).toEqual({ inUse: 1, activeSeats: 1, activeSessions: 1 });
  });

  it("with endSessions ends every session as revoked and frees every seat", async () => {
    const pool = await createPool(3);
    const a = await checkout(pool, { user: "ann", machine: "PC-1" });
    const b = await checkout(pool, { user: "bob", machine: "PC-2" });
    const rotated = await call("POST", `/v1/pools/${pool.poolId}/credentials`, { token: VENDOR, body: { endSessions: true } });
    expect(rotated.status).toBe(201);
    expect(rotated.body.sessionsEnded).toBe(2);
    for (const s of [a, b]) {
      const hb = await heartbeat(s.body.sessionId, s.body.token);
      expect(hb.status).toBe(410);
      expect(hb.body.error.details.reason).toBe("revoked");
      expect((await release(s.body.sessionId, s.body.token)).body).toMatchObject({ released: false, reason: "revoked" });
      expect((await sessionStatus(s.body.sessionId, s.body.token)).body).toMatchObject({ active: false, reason: "revoked" });
    }
    expect(await auditOf(pool)).toEqual({ inUse: 0, activeSeats: 0, activeSessions: 0 });
    expect((await checkout({ ...pool, ...rotated.body }, { user: "ann", machine: "PC-1" })).status).toBe(201);
  });

  it("rotates again and again, each older pair revoked", async () => {
    const pool = await createPool(1);
    const second = (await call("POST", `/v1/pools/${pool.poolId}/credentials`, { token: VENDOR, body: {} })).body;
    const third = (await call("POST", `/v1/pools/${pool.poolId}/credentials`, { token: VENDOR, body: {} })).body;
    expect((await checkout(pool, { user: "a", machine: "b" })).body.error.code).toBe("credentials_revoked");
    expect((await checkout({ ...pool, ...second }, { user: "a", machine: "b" })).body.error.code).toBe("credentials_revoked");
    expect((await checkout({ ...pool, ...third }, { user: "a", machine: "b" })).status).toBe(201);
  });
});

async function poolSerial(poolId: string): Promise<string> {
  return (await call("GET", `/v1/pools/${poolId}`, { token: VENDOR })).body.serial;
}
