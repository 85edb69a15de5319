/**
 * Numbered, append-only schema migrations for a pool object's SQLite database
 * (after cloudflare/actors' sql-schema-migrations). Never edit a shipped step:
 * add a new one. Each runs once, in order, inside one transaction.
 */
export interface Migration {
  id: number;
  /** Why this step exists. */
  why: string;
  sql: string;
}

/** Ids are positive and strictly increasing: a duplicate or a reordering is a mistake to stop at, not to skip. */
export function checkMigrations(migrations: readonly Migration[]): void {
  let last = 0;
  for (const m of migrations) {
    if (!Number.isInteger(m.id) || m.id <= 0) throw new Error(`Migration id ${m.id} must be a positive whole number.`);
    if (m.id <= last) throw new Error(`Migration ${m.id} comes after ${last}: ids must be unique and increasing.`);
    last = m.id;
  }
}

export function runMigrations(storage: DurableObjectStorage, migrations: readonly Migration[]): void {
  checkMigrations(migrations);
  const sql = storage.sql;
  sql.exec("CREATE TABLE IF NOT EXISTS _migrations (id INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
  const done = sql.exec<{ id: number }>("SELECT COALESCE(MAX(id), 0) AS id FROM _migrations").one().id;
  for (const m of migrations) {
    if (m.id <= done) continue;
    storage.transactionSync(() => {
      sql.exec(m.sql);
      sql.exec("INSERT INTO _migrations (id, applied_at) VALUES (?, ?)", m.id, Date.now());
    });
  }
}

/** True once the object has been initialised (a pool was created in it). */
export function hasSchema(storage: DurableObjectStorage): boolean {
  return storage.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_migrations'").toArray().length > 0;
}

export const poolMigrations: readonly Migration[] = [
  {
    id: 1,
    why: "The pool, its credentials, seats, sessions, audit events and hourly usage.",
    sql: `
      CREATE TABLE pool (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        pool_id TEXT NOT NULL,
        customer TEXT NOT NULL,
        seats INTEGER NOT NULL,
        in_use INTEGER NOT NULL DEFAULT 0,
        min_client_version TEXT,
        stale_after_hours INTEGER,
        generation INTEGER NOT NULL,
        key_hash TEXT NOT NULL,
        admin_key_hash TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      -- every serial generation ever issued, so a revoked pair is told so instead of "unknown"
      CREATE TABLE credentials (
        generation INTEGER PRIMARY KEY,
        key_hash TEXT NOT NULL,
        issued_at INTEGER NOT NULL,
        revoked_at INTEGER
      );
      CREATE TABLE seats (
        seat_id TEXT PRIMARY KEY,
        identity TEXT NOT NULL,
        user TEXT NOT NULL,
        machine TEXT NOT NULL,
        terminal_session TEXT,
        since INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL,
        sessions INTEGER NOT NULL,
        ended_at INTEGER
      );
      -- one active seat per identity; finding it is an index look-up
      CREATE UNIQUE INDEX seats_active_identity ON seats (identity) WHERE ended_at IS NULL;
      CREATE INDEX seats_active_last_seen ON seats (last_seen_at) WHERE ended_at IS NULL;
      CREATE INDEX seats_ended_at ON seats (ended_at) WHERE ended_at IS NOT NULL;
      CREATE TABLE sessions (
        session_id TEXT PRIMARY KEY,
        seat_id TEXT NOT NULL,
        instance TEXT,
        client_version TEXT,
        started_at INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL,
        ended_at INTEGER,
        end_reason TEXT
      );
      CREATE INDEX sessions_active_seat ON sessions (seat_id) WHERE ended_at IS NULL;
      CREATE UNIQUE INDEX sessions_instance ON sessions (instance) WHERE instance IS NOT NULL;
      CREATE INDEX sessions_ended_at ON sessions (ended_at) WHERE ended_at IS NOT NULL;
      CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        type TEXT NOT NULL,
        actor TEXT,
        seat_id TEXT,
        session_id TEXT,
        user TEXT,
        machine TEXT,
        terminal_session TEXT,
        details TEXT
      );
      -- one row per hour that saw a change; last_in_use carries the level into quiet hours
      CREATE TABLE usage_hours (
        hour INTEGER PRIMARY KEY,
        peak_in_use INTEGER NOT NULL,
        last_in_use INTEGER NOT NULL,
        checkouts INTEGER NOT NULL DEFAULT 0,
        denials INTEGER NOT NULL DEFAULT 0
      );
    `,
  },
  {
    id: 2,
    why: "One alarm, many timers: every timed job is a row here and the alarm is set to the earliest. A pool that expires stale seats gets its expiry timer from the alarm it had.",
    sql: `
      CREATE TABLE timers (
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        due_at INTEGER NOT NULL,
        PRIMARY KEY (kind, key)
      ) WITHOUT ROWID;
      CREATE INDEX timers_due ON timers (due_at);
      INSERT INTO timers (kind, key, due_at)
        SELECT 'stale', '', MIN(seats.last_seen_at) + pool.stale_after_hours * 3600000
        FROM seats, pool
        WHERE seats.ended_at IS NULL AND pool.stale_after_hours IS NOT NULL
        GROUP BY pool.id;
    `,
  },
  {
    id: 3,
    why: "Hardening: how many sessions and addresses one seat may carry, the machine a seat is bound to, the address of each session, and aggregated security events (one row per key, counted) capped apart from seat events.",
    sql: `
      ALTER TABLE pool ADD COLUMN max_sessions_per_seat INTEGER NOT NULL DEFAULT 10;
      ALTER TABLE pool ADD COLUMN max_addresses_per_seat INTEGER NOT NULL DEFAULT 3;
      ALTER TABLE pool ADD COLUMN refuse_widely_shared_seats INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE seats ADD COLUMN machine_id TEXT;
      ALTER TABLE seats ADD COLUMN shared_widely INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE sessions ADD COLUMN address TEXT;
      ALTER TABLE events ADD COLUMN agg_key TEXT;
      CREATE UNIQUE INDEX events_aggregated ON events (agg_key) WHERE agg_key IS NOT NULL;
    `,
  },
  {
    id: 8,
    why: "Webhooks: the pool's subscriptions (the secret kept as is, since signing needs it), the transactional outbox of deliveries written with the event that causes them, and the once-only alert state (usage hysteresis, the hour of the last denial alert).",
    sql: `
      CREATE TABLE webhooks (
        webhook_id TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        events TEXT NOT NULL,
        secret TEXT NOT NULL,
        created_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE deliveries (
        id TEXT PRIMARY KEY,
        webhook_id TEXT NOT NULL,
        type TEXT NOT NULL,
        at INTEGER NOT NULL,
        payload TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL DEFAULT 'pending',
        last_error TEXT
      ) WITHOUT ROWID;
      CREATE INDEX deliveries_of_webhook ON deliveries (webhook_id, at);
      CREATE TABLE alert_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        usage_high INTEGER NOT NULL DEFAULT 0,
        denied_hour INTEGER
      );
      INSERT INTO alert_state (id) VALUES (1);
      ALTER TABLE pool ADD COLUMN alert_threshold_percent INTEGER NOT NULL DEFAULT 90;
    `,
  },
];

export const directoryMigrations: readonly Migration[] = [
  {
    id: 1,
    why: "The vendor's list of pools, read only by admin endpoints, never on the checkout path.",
    sql: `
      CREATE TABLE pools (
        pool_id TEXT PRIMARY KEY,
        customer TEXT NOT NULL,
        seats INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      );
    `,
  },
];
