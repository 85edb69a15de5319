import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { poolMigrations, runMigrations } from "../../durable-objects/migrations";
import { VENDOR, call, createPool, freshAddress } from "./helpers";

const admins = async (poolId: string, token = VENDOR) => (await call("GET", `/v1/pools/${poolId}/admins`, { token })).body.admins as any[];
const works = async (poolId: string, key: string) => (await call("GET", `/v1/pools/${poolId}`, { token: key, address: freshAddress() })).status === 200;

describe("several admins per pool", () => {
  it("makes the key created with the pool its first admin", async () => {
    const pool = await createPool(3);
    expect(await admins(pool.poolId, pool.adminKey)).toEqual([{ adminId: expect.stringMatching(/^AD[0-9A-F]{14}$/), name: "first admin", email: null, createdAt: expect.any(String) }]);
  });

  it("gives each admin a key of their own, shown once, and names them in the events of what they do", async () => {
    const pool = await createPool(3);
    const sam = await call("POST", `/v1/pools/${pool.poolId}/admins`, { token: pool.adminKey, body: { name: "Sam at Acme IT", email: "sam@acme.example" } });
    expect(sam.status, JSON.stringify(sam.body)).toBe(201);
    expect(sam.body).toEqual({ adminId: expect.any(String), name: "Sam at Acme IT", email: "sam@acme.example", adminKey: expect.stringMatching(/^AK-/) });
    expect(sam.body.adminKey).not.toBe(pool.adminKey);
    expect(await works(pool.poolId, sam.body.adminKey)).toBe(true);
    expect(await works(pool.poolId, pool.adminKey)).toBe(true);
    const listed = await admins(pool.poolId);
    expect(listed.map((a) => a.name)).toEqual(["first admin", "Sam at Acme IT"]);
    expect(JSON.stringify(listed)).not.toContain(sam.body.adminKey.slice(25));

    await call("PATCH", `/v1/pools/${pool.poolId}`, { token: sam.body.adminKey, body: { customer: "Acme Group" } });
    const events = (await call("GET", `/v1/pools/${pool.poolId}/events`, { token: VENDOR })).body.events;
    expect(events[0]).toMatchObject({ type: "pool_updated", actor: "admin:Sam at Acme IT" });
    expect(events[1]).toMatchObject({ type: "admin_added", actor: "admin:first admin", details: { adminId: sam.body.adminId, name: "Sam at Acme IT" } });
  });

  it("removes one admin: their key stops working, the others' do not", async () => {
    const pool = await createPool(3);
    const sam = (await call("POST", `/v1/pools/${pool.poolId}/admins`, { token: VENDOR, body: { name: "Sam" } })).body;
    const removed = await call("DELETE", `/v1/pools/${pool.poolId}/admins/${sam.adminId}`, { token: pool.adminKey });
    expect(removed.status).toBe(200);
    expect(removed.body).toEqual({ removed: true });
    expect(await works(pool.poolId, sam.adminKey)).toBe(false);
    expect(await works(pool.poolId, pool.adminKey)).toBe(true);
    const again = await call("DELETE", `/v1/pools/${pool.poolId}/admins/${sam.adminId}`, { token: pool.adminKey });
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe("not_found");
  });

  it("refuses to remove the last admin, saying why", async () => {
    const pool = await createPool(3);
    const [first] = await admins(pool.poolId);
    const res = await call("DELETE", `/v1/pools/${pool.poolId}/admins/${first.adminId}`, { token: VENDOR });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("conflict");
    expect(res.body.error.message).toMatch(/last admin/);
    expect(await works(pool.poolId, pool.adminKey)).toBe(true);
    // an admin may remove themselves while someone else remains
    const sam = (await call("POST", `/v1/pools/${pool.poolId}/admins`, { token: VENDOR, body: { name: "Sam" } })).body;
    expect((await call("DELETE", `/v1/pools/${pool.poolId}/admins/${first.adminId}`, { token: pool.adminKey })).status).toBe(200);
    expect(await works(pool.poolId, pool.adminKey)).toBe(false);
    expect((await admins(pool.poolId, sam.adminKey)).map((a) => a.name)).toEqual(["Sam"]);
  });

  it("replaces the caller's own key on admin-keys, and the first admin's for the vendor", async () => {
    const pool = await createPool(3);
    const sam = (await call("POST", `/v1/pools/${pool.poolId}/admins`, { token: VENDOR, body: { name: "Sam" } })).body;
    const samsNew = await call("POST", `/v1/pools/${pool.poolId}/admin-keys`, { token: sam.adminKey });
    expect(samsNew.status).toBe(201);
    expect(await works(pool.poolId, sam.adminKey)).toBe(false);
    expect(await works(pool.poolId, samsNew.body.adminKey)).toBe(true);
    expect(await works(pool.poolId, pool.adminKey)).toBe(true);
    const vendors = await call("POST", `/v1/pools/${pool.poolId}/admin-keys`, { token: VENDOR });
    expect(await works(pool.poolId, pool.adminKey)).toBe(false);
    expect(await works(pool.poolId, vendors.body.adminKey)).toBe(true);
    expect(await works(pool.poolId, samsNew.body.adminKey)).toBe(true);
    const events = (await call("GET", `/v1/pools/${pool.poolId}/events`, { token: VENDOR })).body.events.filter((e: any) => e.type === "admin_key_rotated");
    expect(events.map((e: any) => [e.actor, e.details.name])).toEqual([["vendor", "first admin"], ["admin:Sam", "Sam"]]);
  });

  it("validates a new admin's name and e-mail address after the credential", async () => {
    const pool = await createPool(1);
    expect((await call("POST", `/v1/pools/${pool.poolId}/admins`, { body: { name: "" }, address: freshAddress() })).status).toBe(401);
    const bad = await call("POST", `/v1/pools/${pool.poolId}/admins`, { token: pool.adminKey, body: { name: "", email: "nope" } });
    expect(bad.status).toBe(400);
    expect([...new Set(bad.body.error.details.issues.map((i: { path: string }) => i.path))].sort()).toEqual(["email", "name"]);
  });

  it("turns a version-1 pool's admin key into its first admin (migration 7)", async () => {
    const stub = env.POOL.get(env.POOL.idFromName(`admins-migration-${crypto.randomUUID()}`));
    await runInDurableObject(stub, (_i, state) => {
      const sql = state.storage.sql;
      runMigrations(state.storage, poolMigrations.filter((m) => m.id < 7));
      sql.exec(`INSERT INTO pool (id, pool_id, customer, seats, generation, key_hash, admin_key_hash, created_at)
        VALUES (1, 'P', 'Acme', 5, 1, 'k', 'the-old-admin-key-hash', 1234)`);
      runMigrations(state.storage, poolMigrations);
      const rows = sql.exec("SELECT admin_id, seq, name, email, key_hash, created_at FROM admins").toArray();
      expect(rows).toEqual([{ admin_id: expect.stringMatching(/^AD[0-9A-F]{14}$/), seq: 1, name: "first admin", email: null, key_hash: "the-old-admin-key-hash", created_at: 1234 }]);
    });
  });
});
