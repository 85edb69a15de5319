/** Issue 15: where a pool lives (EU pools, location hints), its export, erasure, retention and deletion. */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DAY } from "../../src/contract/time";
import { directoryMigrations, poolMigrations, runMigrations } from "../../durable-objects/migrations";
import {
  VENDOR, call, checkout, createPool, expectError, freshAddress, heartbeat, poolOf, release, seatsOf, sessionStatus, type TestPool,
} from "./helpers";

const stubOf = (pool: TestPool) => env.POOL.get(env.POOL.idFromName(pool.poolId));

/** Every row of every table of the pool's object, as text, to look for a name anywhere in it. */
async function tablesText(pool: TestPool): Promise<string> {
  return runInDurableObject(stubOf(pool), (_i, state) => {
    const tables = state.storage.sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\'").toArray();
    return JSON.stringify(tables.map((t) => state.storage.sql.exec(`SELECT * FROM "${t.name}"`).toArray()));
  });
}

async function exportOf(pool: TestPool, token = VENDOR) {
  const res = await call("GET", `/v1/pools/${pool.poolId}/export`, { token });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("application/x-ndjson");
  const text = res.body as string;
  expect(text.endsWith("\n")).toBe(true);
  return text.trimEnd().split("\n").map((l) => JSON.parse(l));
}

describe("an EU pool", () => {
  it("is created, checked out, administered and listed like any other, and shows where it lives", async () => {
    const pool = await createPool(2, { region: "eu", locationHint: "weur" });
    expect(pool.poolId).toMatch(/^E/);
    expect(pool.serial).toMatch(/^SK-E/);
    expect(pool.adminKey).toMatch(/^AK-E/);
    const created = await poolOf(pool);
    expect(created).toMatchObject({ region: "eu", locationHint: "weur", retentionDays: 90 });

    const s = await checkout(pool, { user: "ann", machine: "PC-1" });
    expect(s.status).toBe(201);
    expect((await heartbeat(s.body.sessionId, s.body.token)).status).toBe(200);
    const byAdmin = await call("PATCH", `/v1/pools/${pool.poolId}`, { token: pool.adminKey, body: { customer: "Acme GmbH", retentionDays: 30 } });
    expect(byAdmin.status).toBe(200);
    expect(byAdmin.body).toMatchObject({ customer: "Acme GmbH", retentionDays: 30, region: "eu" });
    expect((await seatsOf(pool)).map((x) => x.user)).toEqual(["ann"]);
    expect((await call("DELETE", `/v1/pools/${pool.poolId}/seats/${s.body.seatId}`, { token: pool.adminKey })).status).toBe(200);

    let listed: any;
    for (let after: string | undefined; ;) {
      const page = await call("GET", `/v1/pools?limit=1000${after ? `&after=${after}` : ""}`, { token: VENDOR });
      listed = page.body.pools.find((p: any) => p.poolId === pool.poolId) ?? listed;
      if (!page.body.next) break;
      after = page.body.next;
    }
    expect(listed).toEqual({ poolId: pool.poolId, customer: "Acme GmbH", seats: 2, inUse: 0, region: "eu", locationHint: "weur" });
  });

  it("is global with no hint by default, and refuses a region or hint the contract does not name", async () => {
    const pool = await createPool(1);
    expect(pool.poolId).toMatch(/^G/);
    expect(await poolOf(pool)).toMatchObject({ region: "global", locationHint: null });
    expectError(await call("POST", "/v1/pools", { token: VENDOR, body: { customer: "A", seats: 1, region: "us" } }), 400, "invalid_request");
    expectError(await call("POST", "/v1/pools", { token: VENDOR, body: { customer: "A", seats: 1, locationHint: "mars" } }), 400, "invalid_request");
  });
});

describe("retentionDays", () => {
  it("is 7 to 400 days, and the pool keeps ended sessions, seats and events no longer than it says", async () => {
    expectError(await call("POST", "/v1/pools", { token: VENDOR, body: { customer: "A", seats: 1, retentionDays: 6 } }), 400, "invalid_request");
    expectError(await call("POST", "/v1/pools", { token: VENDOR, body: { customer: "A", seats: 1, retentionDays: 401 } }), 400, "invalid_request");
    const pool = await createPool(2, { retentionDays: 7 });
    expectError(await call("PATCH", `/v1/pools/${pool.poolId}`, { token: VENDOR, body: { retentionDays: 0 } }), 400, "invalid_request");
    const old = await checkout(pool, { user: "old", machine: "PC-1" });
    expect((await release(old.body.sessionId, old.body.token)).status).toBe(200);
    const recent = await checkout(pool, { user: "recent", machine: "PC-2" });
    expect((await release(recent.body.sessionId, recent.body.token)).status).toBe(200);
    // the first person's records are made eight days old; the retention timer is made due
    await runInDurableObject(stubOf(pool), (_i, state) => {
      const sql = state.storage.sql;
      const eightDays = 8 * DAY;
      sql.exec("UPDATE seats SET since = since - ?1, last_seen_at = last_seen_at - ?1, ended_at = ended_at - ?1 WHERE user = 'old'", eightDays);
      sql.exec("UPDATE sessions SET started_at = started_at - ?1, last_seen_at = last_seen_at - ?1, ended_at = ended_at - ?1 WHERE seat_id = ?2", eightDays, old.body.seatId);
      sql.exec("UPDATE events SET at = at - ? WHERE user = 'old' OR type = 'pool_created'", eightDays);
      expect(sql.exec("SELECT kind FROM timers WHERE kind = 'retention'").toArray()).toHaveLength(1);
      sql.exec("UPDATE timers SET due_at = 0 WHERE kind = 'retention'");
    });
    expect(await runDurableObjectAlarm(stubOf(pool))).toBe(true);
    const left = await runInDurableObject(stubOf(pool), (_i, state) => ({
      seats: state.storage.sql.exec("SELECT user FROM seats").toArray().map((r) => r.user),
      sessions: state.storage.sql.exec("SELECT session_id FROM sessions").toArray().map((r) => r.session_id),
      events: state.storage.sql.exec("SELECT type, user FROM events ORDER BY id").toArray(),
      retentionTimer: state.storage.sql.exec("SELECT due_at FROM timers WHERE kind = 'retention'").one().due_at as number,
    }));
    expect(left.seats).toEqual(["recent"]);
    expect(left.sessions).toEqual([recent.body.sessionId]);
    expect(left.events).toEqual([{ type: "checkout", user: "recent" }, { type: "release", user: "recent" }]);
    expect(left.retentionTimer).toBeGreaterThan(Date.now() + DAY - 60_000);
    expect((await sessionStatus(old.body.sessionId, old.body.token)).body.error.code).toBe("session_ended");
  });
});

describe("the export", () => {
  it("round-trips every record the API shows, with no secret or hash in it", async () => {
    const pool = await createPool(3);
    const a = await checkout(pool, { user: "ann", machine: "PC-1", clientVersion: "1.2.0" });
    const b = await checkout(pool, { user: "bob", machine: "PC-2", terminalSession: "RDP#2" });
    expect((await release(b.body.sessionId, b.body.token)).status).toBe(200);
    await checkout(pool, { user: "cat", machine: "PC-3" });
    expectError(await checkout({ ...pool, productKey: "AAAAA-AAAAA-AAAAA-AAAAA-AAAAA" }, { user: "eve", machine: "X" }, { address: freshAddress() }), 401, "invalid_credentials");

    const lines = await exportOf(pool, pool.adminKey);
    const kinds = lines.map((l) => l.kind);
    // the pool first, then seats, sessions, events, usage, each kind together
    expect(kinds[0]).toBe("pool");
    expect([...new Set(kinds)]).toEqual(["pool", "seat", "session", "event", "usage"]);

    const { kind: _k, ...exportedPool } = lines[0];
    expect(exportedPool).toEqual(await poolOf(pool));

    const active = await seatsOf(pool);
    const exportedSeats = lines.filter((l) => l.kind === "seat");
    expect(exportedSeats).toHaveLength(3);
    for (const seat of active) {
      const e = exportedSeats.find((x) => x.seatId === seat.seatId);
      expect(e).toMatchObject({ user: seat.user, machine: seat.machine, terminalSession: seat.terminalSession, since: seat.since, lastSeenAt: seat.lastSeenAt, endedAt: null });
    }
    expect(exportedSeats.find((x) => x.seatId === b.body.seatId)).toMatchObject({ user: "bob", terminalSession: "RDP#2", sessions: 0 });
    expect(exportedSeats.find((x) => x.seatId === b.body.seatId).endedAt).not.toBeNull();

    const exportedSessions = lines.filter((l) => l.kind === "session");
    expect(exportedSessions).toHaveLength(3);
    for (const s of [a, b]) {
      const status = (await sessionStatus(s.body.sessionId, s.body.token)).body;
      const e = exportedSessions.find((x) => x.sessionId === s.body.sessionId);
      expect(e).toMatchObject({ seatId: status.seatId, clientVersion: status.clientVersion, startedAt: status.startedAt, lastSeenAt: status.lastSeenAt, endedAt: status.endedAt ?? null, reason: status.reason ?? null });
      expect(e.address).toBe("192.0.2.1");
    }

    const events = (await call("GET", `/v1/pools/${pool.poolId}/events?limit=500`, { token: VENDOR })).body.events;
    expect(lines.filter((l) => l.kind === "event").map(({ kind: _e, ...rest }) => rest)).toEqual([...events].reverse());

    const usage = (await call("GET", `/v1/pools/${pool.poolId}/usage?bucket=hour`, { token: VENDOR })).body.buckets.at(-1);
    const exportedUsage = lines.filter((l) => l.kind === "usage");
    expect(exportedUsage).toHaveLength(1);
    expect(exportedUsage[0]).toMatchObject({ hour: usage.start, peakInUse: usage.peakInUse, checkouts: usage.checkouts, denials: usage.denials });

    const stored = await runInDurableObject(stubOf(pool), (_i, state) => state.storage.sql.exec("SELECT key_hash, admin_key_hash FROM pool").one());
    const text = JSON.stringify(lines);
    expect(text).not.toContain(stored.key_hash as string);
    expect(text).not.toContain(stored.admin_key_hash as string);
    expect(text).not.toMatch(/hash/i);
    expect(text).not.toContain(pool.productKey);
  });

  it("walks a pool larger than one page, every record once", async () => {
    const pool = await createPool(1200);
    await runInDurableObject(stubOf(pool), (_i, state) => {
      for (let i = 0; i < 1100; i++) {
        state.storage.sql.exec(
          `INSERT INTO seats (seat_id, identity, user, machine, since, last_seen_at, sessions, ended_at) VALUES (?, ?, ?, 'PC', 1, 1, 0, 2)`,
          `seat_${String(i).padStart(5, "0")}`, JSON.stringify([`u${i}`, "pc", ""]), `u${i}`,
        );
      }
    });
    const seats = (await exportOf(pool)).filter((l) => l.kind === "seat").map((l) => l.seatId);
    expect(seats).toHaveLength(1100);
    expect(new Set(seats).size).toBe(1100);
  });

  it("is refused to a stranger and to another pool's admin key, in the contract's shape", async () => {
    const pool = await createPool(1);
    const other = await createPool(1);
    expectError(await call("GET", `/v1/pools/${pool.poolId}/export`, { address: freshAddress() }), 401, "unauthorized");
    expectError(await call("GET", `/v1/pools/${pool.poolId}/export`, { token: other.adminKey, address: freshAddress() }), 403, "forbidden");
  });
});

describe("erasure", () => {
  it("leaves no trace of the name in any answer or in the pool's tables, leaves active seats be, and is logged without the name", async () => {
    const pool = await createPool(3);
    // a webhook's delivery of the free below names the person too
    const hook = await call("POST", `/v1/pools/${pool.poolId}/webhooks`, { token: pool.adminKey, body: { url: "https://hooks.example.com/erasure", events: ["seat.freed"] } });
    expect(hook.status).toBe(201);
    const who = { user: "Zoë Erasable", machine: "ZOE-LAPTOP" };
    const first = await checkout(pool, who, { address: "203.0.113.77" });
    expect((await release(first.body.sessionId, first.body.token)).status).toBe(200);
    const second = await checkout(pool, { ...who, terminalSession: "RDP#9" }, { address: "203.0.113.77" });
    expect((await call("DELETE", `/v1/pools/${pool.poolId}/seats/${second.body.seatId}`, { token: VENDOR })).status).toBe(200);
    expectError(await checkout({ ...pool, productKey: "AAAAA-AAAAA-AAAAA-AAAAA-AAAAA" }, who, { address: freshAddress() }), 401, "invalid_credentials");
    const keeper = await checkout(pool, { user: "keeper", machine: "PC-K" });
    // the same person on another machine holds a seat now: untouched, since it is in use
    const active = await checkout(pool, { user: "zoë erasable", machine: "OTHER-PC" });
    expect(await tablesText(pool)).toContain("ZOE-LAPTOP");

    // compared as identities are: another case still matches
    const erased = await call("POST", `/v1/pools/${pool.poolId}/erasure`, { token: pool.adminKey, body: { user: "ZOË ERASABLE", machine: "zoe-laptop" } });
    expect(erased.status, JSON.stringify(erased.body)).toBe(200);
    expect(erased.body).toEqual({ records: 2 + 2 + 5 + 1, seats: 2, sessions: 2, events: 5, tickets: 0, deliveries: 1 });

    const tables = await tablesText(pool);
    expect(tables).not.toContain("ZOE-LAPTOP");
    expect(tables).not.toContain("203.0.113.77");
    expect(tables).not.toContain("RDP#9");
    const answers = JSON.stringify([
      await exportOf(pool),
      (await call("GET", `/v1/pools/${pool.poolId}/events?limit=500`, { token: VENDOR })).body,
      await seatsOf(pool),
    ]);
    expect(answers).not.toContain("ZOE-LAPTOP");
    expect(answers).not.toContain("203.0.113.77");
    const status = (await sessionStatus(first.body.sessionId, first.body.token)).body;
    expect(status).toMatchObject({ user: "erased", machine: "erased", active: false });

    // the active seat of the same user on another machine, and another person's, are as they were
    expect((await seatsOf(pool)).map((s) => [s.user, s.machine]).sort()).toEqual([["keeper", "PC-K"], ["zoë erasable", "OTHER-PC"]]);
    expect((await heartbeat(active.body.sessionId, active.body.token)).status).toBe(200);
    expect((await heartbeat(keeper.body.sessionId, keeper.body.token)).status).toBe(200);

    const log = (await call("GET", `/v1/pools/${pool.poolId}/events?limit=1`, { token: VENDOR })).body.events[0];
    expect(log).toMatchObject({ type: "erased", actor: "admin:first admin", user: null, machine: null });
    expect(log.details).toMatchObject({ records: 10, seats: 2, sessions: 2, events: 5, deliveries: 1 });
    expect(JSON.stringify(log).toLowerCase()).not.toContain("zo");

    // a second run finds nothing more
    expect((await call("POST", `/v1/pools/${pool.poolId}/erasure`, { token: VENDOR, body: who })).body).toEqual({ records: 0, seats: 0, sessions: 0, events: 0, tickets: 0, deliveries: 0 });
  });

  it("without a machine erases the user on every machine, ended seats only", async () => {
    const pool = await createPool(2);
    for (const machine of ["A", "B"]) {
      const s = await checkout(pool, { user: "dan", machine });
      expect((await release(s.body.sessionId, s.body.token)).status).toBe(200);
    }
    const out = await call("POST", `/v1/pools/${pool.poolId}/erasure`, { token: VENDOR, body: { user: "dan" } });
    expect(out.body).toMatchObject({ seats: 2, sessions: 2, events: 4 });
    expect(await tablesText(pool)).not.toContain("dan");
  });

  it("refuses a body without a user", async () => {
    const pool = await createPool(1);
    expectError(await call("POST", `/v1/pools/${pool.poolId}/erasure`, { token: VENDOR, body: { machine: "PC" } }), 400, "invalid_request");
    expectError(await call("POST", `/v1/pools/${pool.poolId}/erasure`, { token: VENDOR, body: { user: "  " } }), 400, "invalid_request");
  });
});

describe("deleting a pool", () => {
  it("deletes its storage and alarm, takes it off the list, and its serial is then any unknown serial, byte for byte", async () => {
    const pool = await createPool(2, { staleAfterHours: 1 });
    const s = await checkout(pool, { user: "ann", machine: "PC-1" });
    expect(s.status).toBe(201);
    expect(await runInDurableObject(stubOf(pool), (_i, state) => state.storage.getAlarm())).not.toBeNull();

    expectError(await call("DELETE", `/v1/pools/${pool.poolId}`, { token: pool.adminKey }), 403, "forbidden");
    const wrongKey = await checkout({ ...pool, productKey: "AAAAA-AAAAA-AAAAA-AAAAA-AAAAA" }, { user: "x", machine: "y" }, { address: freshAddress() });

    const deleted = await call("DELETE", `/v1/pools/${pool.poolId}`, { token: VENDOR });
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ deleted: true, poolId: pool.poolId });

    const afterwards = await checkout(pool, { user: "x", machine: "y" }, { address: freshAddress() });
    expect(afterwards.status).toBe(401);
    expect(JSON.stringify(afterwards.body)).toBe(JSON.stringify(wrongKey.body));
    expectError(await heartbeat(s.body.sessionId, s.body.token), 401, "invalid_token");
    expectError(await call("GET", `/v1/pools/${pool.poolId}`, { token: VENDOR }), 404, "not_found");
    expectError(await call("GET", `/v1/pools/${pool.poolId}`, { token: pool.adminKey, address: freshAddress() }), 401, "unauthorized");
    expectError(await call("DELETE", `/v1/pools/${pool.poolId}`, { token: VENDOR }), 404, "not_found");

    const gone = await runInDurableObject(stubOf(pool), async (_i, state) => ({
      tables: state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table'").toArray(),
      alarm: await state.storage.getAlarm(),
    }));
    expect(gone).toEqual({ tables: [], alarm: null });

    const list = await call("GET", `/v1/pools?limit=1000`, { token: VENDOR });
    expect(list.body.pools.map((p: any) => p.poolId)).not.toContain(pool.poolId);
  });
});

describe("migrations 9 (pool) and 3 (directory)", () => {
  it("give a pool from before them the global region, no hint, 90 days and a retention timer; the directory a region", async () => {
    const stub = env.POOL.get(env.POOL.idFromName(`migration-9-${crypto.randomUUID()}`));
    await runInDurableObject(stub, (_i, state) => {
      const sql = state.storage.sql;
      runMigrations(state.storage, poolMigrations.filter((m) => m.id < 9));
      sql.exec(`INSERT INTO pool (id, pool_id, customer, seats, generation, key_hash, admin_key_hash, created_at) VALUES (1, 'P', 'Acme', 5, 1, 'k', 'a', 1234)`);
      runMigrations(state.storage, poolMigrations);
      expect(sql.exec("SELECT region, location_hint, retention_days FROM pool").one()).toEqual({ region: "global", location_hint: null, retention_days: 90 });
      expect(sql.exec("SELECT kind, due_at FROM timers").toArray()).toEqual([{ kind: "retention", due_at: 1234 }]);
    });
    const dir = env.DIRECTORY.get(env.DIRECTORY.idFromName(`migration-3-${crypto.randomUUID()}`));
    await runInDurableObject(dir, (_i, state) => {
      const sql = state.storage.sql;
      // the object migrated itself on start: back to a directory from before migration 3
      for (const { name } of sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite%'").toArray()) {
        sql.exec(`DROP TABLE ${name}`);
      }
      sql.exec("DELETE FROM _migrations");
      runMigrations(state.storage, directoryMigrations.filter((m) => m.id < 3));
      sql.exec("INSERT INTO pools (pool_id, customer, seats, created_at) VALUES ('GOLD', 'Acme', 5, 1)");
      runMigrations(state.storage, directoryMigrations);
      expect(sql.exec("SELECT pool_id, region, location_hint FROM pools").one()).toEqual({ pool_id: "GOLD", region: "global", location_hint: null });
    });
  });
});
