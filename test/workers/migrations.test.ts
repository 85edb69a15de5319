import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { checkMigrations, poolMigrations, runMigrations, type Migration } from "../../durable-objects/migrations";

const step = (id: number): Migration => ({ id, why: "test", sql: `CREATE TABLE t${Math.abs(id)} (x)` });

function emptyObject() {
  return env.POOL.get(env.POOL.idFromName(`migrations-${crypto.randomUUID()}`));
}

describe("schema migrations", () => {
  it("refuse duplicate, zero, negative and out-of-order ids", () => {
    expect(() => checkMigrations([step(1), step(1)])).toThrow(/unique and increasing/);
    expect(() => checkMigrations([step(2), step(1)])).toThrow(/unique and increasing/);
    expect(() => checkMigrations([step(0)])).toThrow(/positive/);
    expect(() => checkMigrations([step(-1)])).toThrow(/positive/);
    expect(() => checkMigrations([step(1), step(2), step(5)])).not.toThrow();
    expect(() => checkMigrations(poolMigrations)).not.toThrow();
  });

  it("change nothing when run twice", async () => {
    await runInDurableObject(emptyObject(), (_i, state) => {
      const snapshot = () => ({
        schema: state.storage.sql.exec("SELECT type, name, sql FROM sqlite_master ORDER BY name").toArray(),
        applied: state.storage.sql.exec("SELECT * FROM _migrations ORDER BY id").toArray(),
      });
      runMigrations(state.storage, poolMigrations);
      const once = snapshot();
      expect(once.applied.map((r) => r.id)).toEqual(poolMigrations.map((m) => m.id));
      runMigrations(state.storage, poolMigrations);
      expect(snapshot()).toEqual(once);
    });
  });

  it("give a version-1 pool that expires stale seats its expiry timer", async () => {
    await runInDurableObject(emptyObject(), (_i, state) => {
      const sql = state.storage.sql;
      runMigrations(state.storage, poolMigrations.filter((m) => m.id === 1));
      sql.exec(`INSERT INTO pool (id, pool_id, customer, seats, generation, key_hash, admin_key_hash, created_at, stale_after_hours)
        VALUES (1, 'P', 'Acme', 5, 1, 'k', 'a', 0, 8)`);
      sql.exec(`INSERT INTO seats (seat_id, identity, user, machine, since, last_seen_at, sessions) VALUES
        ('s1', 'i1', 'ann', 'PC-1', 0, 5000, 1), ('s2', 'i2', 'bob', 'PC-2', 0, 3000, 1)`);
      sql.exec(`INSERT INTO seats (seat_id, identity, user, machine, since, last_seen_at, sessions, ended_at) VALUES
        ('s0', 'i0', 'old', 'PC-0', 0, 1000, 0, 2000)`);
      runMigrations(state.storage, poolMigrations);
      expect(sql.exec("SELECT kind, key, due_at FROM timers WHERE kind = 'stale'").toArray()).toEqual([{ kind: "stale", key: "", due_at: 3000 + 8 * 3_600_000 }]);
    });
  });
});
