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

  it("carry every seat and session of an earlier version through the write budget's rebuild, with only the indexes it keeps", async () => {
    await runInDurableObject(emptyObject(), (_i, state) => {
      const sql = state.storage.sql;
      runMigrations(state.storage, poolMigrations.filter((m) => m.id <= 3));
      sql.exec(`INSERT INTO seats (seat_id, identity, user, machine, since, last_seen_at, sessions, machine_id, shared_widely) VALUES
        ('s1', 'i1', 'ann', 'PC-1', 0, 5000, 2, 'm1', 1), ('s0', 'i0', 'old', 'PC-0', 0, 1000, 0, NULL, 0)`);
      sql.exec("UPDATE seats SET ended_at = 2000 WHERE seat_id = 's0'");
      sql.exec(`INSERT INTO sessions (session_id, seat_id, instance, client_version, started_at, last_seen_at, address) VALUES
        ('x1', 's1', 'launch-1', '16.0', 0, 5000, '192.0.2.1'), ('x2', 's1', NULL, '16.0', 10, 5000, '192.0.2.2')`);
      const before = {
        seats: sql.exec("SELECT * FROM seats ORDER BY seat_id").toArray(),
        sessions: sql.exec("SELECT * FROM sessions ORDER BY session_id").toArray(),
      };
      runMigrations(state.storage, poolMigrations);
      // every column the rows had, with its value (later migrations may add columns)
      const kept = (rows: Record<string, unknown>[], like: Record<string, unknown>[]) =>
        rows.map((r, i) => Object.fromEntries(Object.keys(like[i] ?? {}).sort().map((k) => [k, r[k]])));
      const sorted = (rows: Record<string, unknown>[]) => kept(rows, rows);
      expect(kept(sql.exec("SELECT * FROM seats ORDER BY seat_id").toArray(), before.seats)).toEqual(sorted(before.seats));
      expect(kept(sql.exec("SELECT * FROM sessions ORDER BY session_id").toArray(), before.sessions)).toEqual(sorted(before.sessions));
      const indexes = sql.exec("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('seats', 'sessions') AND sql IS NOT NULL ORDER BY name").toArray();
      expect(indexes.map((r) => r.name)).toEqual(["seats_active_identity", "sessions_instance"]);
      const tables = sql.exec("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name IN ('seats', 'sessions')").toArray();
      for (const t of tables) expect(String(t.sql)).toMatch(/WITHOUT ROWID/);
    });
  });
});
