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
  // by id, not "after the highest": a step that landed after a higher one (work merged out of order) still runs
  const done = new Set(sql.exec<{ id: number }>("SELECT id FROM _migrations").toArray().map((r) => r.id));
  for (const m of migrations) {
    if (done.has(m.id)) continue;
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
    id: 4,
    why: "The write budget: seats keyed by seat id and sessions by (seat id, session id), both WITHOUT ROWID, with no index but the active seat of an identity and a launch's instance; so a checkout writes 5 rows, not 10.",
    sql: `
      CREATE TABLE seats_v4 (
        seat_id TEXT NOT NULL PRIMARY KEY,
        identity TEXT NOT NULL,
        user TEXT NOT NULL,
        machine TEXT NOT NULL,
        terminal_session TEXT,
        since INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL,
        sessions INTEGER NOT NULL,
        ended_at INTEGER,
        machine_id TEXT,
        shared_widely INTEGER NOT NULL DEFAULT 0
      ) WITHOUT ROWID;
      INSERT INTO seats_v4 (seat_id, identity, user, machine, terminal_session, since, last_seen_at, sessions, ended_at, machine_id, shared_widely)
        SELECT seat_id, identity, user, machine, terminal_session, since, last_seen_at, sessions, ended_at, machine_id, shared_widely FROM seats;
      DROP TABLE seats;
      ALTER TABLE seats_v4 RENAME TO seats;
      CREATE UNIQUE INDEX seats_active_identity ON seats (identity) WHERE ended_at IS NULL;
      CREATE TABLE sessions_v4 (
        seat_id TEXT NOT NULL,
        session_id TEXT NOT NULL,
        instance TEXT,
        client_version TEXT,
        started_at INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL,
        ended_at INTEGER,
        end_reason TEXT,
        address TEXT,
        PRIMARY KEY (seat_id, session_id)
      ) WITHOUT ROWID;
      INSERT INTO sessions_v4 (seat_id, session_id, instance, client_version, started_at, last_seen_at, ended_at, end_reason, address)
        SELECT seat_id, session_id, instance, client_version, started_at, last_seen_at, ended_at, end_reason, address FROM sessions;
      DROP TABLE sessions;
      ALTER TABLE sessions_v4 RENAME TO sessions;
      CREATE UNIQUE INDEX sessions_instance ON sessions (instance) WHERE instance IS NOT NULL;
    `,
  },
  {
    id: 5,
    why: "Waiting for a seat: tickets served first come, first served (one waiting ticket per identity), the wait figures of each hour, and the settings for taking idle seats back and releasing one's own seat.",
    sql: `
      CREATE TABLE tickets (
        ticket_id TEXT PRIMARY KEY,
        seq INTEGER NOT NULL,
        identity TEXT NOT NULL,
        user TEXT NOT NULL,
        machine TEXT NOT NULL,
        terminal_session TEXT,
        client_version TEXT,
        machine_id TEXT,
        address TEXT,
        since INTEGER NOT NULL,
        seen_at INTEGER NOT NULL,
        state TEXT NOT NULL,
        session_id TEXT,
        seat_id TEXT,
        granted_at INTEGER,
        picked_up INTEGER NOT NULL DEFAULT 0,
        ended_at INTEGER
      ) WITHOUT ROWID;
      CREATE UNIQUE INDEX tickets_waiting_identity ON tickets (identity) WHERE state = 'waiting';
      CREATE UNIQUE INDEX tickets_waiting_seq ON tickets (seq) WHERE state = 'waiting';
      ALTER TABLE usage_hours ADD COLUMN waits INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE usage_hours ADD COLUMN max_wait_seconds INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE pool ADD COLUMN reclaim_idle_minutes INTEGER;
      ALTER TABLE pool ADD COLUMN reclaim_grace_minutes INTEGER NOT NULL DEFAULT 5;
      ALTER TABLE pool ADD COLUMN self_release INTEGER NOT NULL DEFAULT 1;
    `,
  },
  {
    id: 6,
    why: "Pool policy (issue 12): the term, the overdraft, the blocklist and the groups as pool settings (lists as JSON), the group each seat was taken for (folded; the per-group counts are recounted from it on load), and each hour's most overdraft seats.",
    sql: `
      ALTER TABLE pool ADD COLUMN valid_from INTEGER;
      ALTER TABLE pool ADD COLUMN valid_until INTEGER;
      ALTER TABLE pool ADD COLUMN overdraft_seats INTEGER;
      ALTER TABLE pool ADD COLUMN blocked TEXT;
      ALTER TABLE pool ADD COLUMN groups TEXT;
      ALTER TABLE seats ADD COLUMN group_key TEXT;
      CREATE TABLE overdraft_hours (
        hour INTEGER PRIMARY KEY,
        peak INTEGER NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    id: 7,
    why: "Several named admins per pool, each with a key of their own (its hash); the key made with the pool becomes the first admin, so every existing admin key keeps working.",
    sql: `
      CREATE TABLE admins (
        admin_id TEXT PRIMARY KEY,
        -- creation order: the vendor's credential acts on the first admin's key
        seq INTEGER NOT NULL,
        name TEXT NOT NULL,
        email TEXT,
        key_hash TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      INSERT INTO admins (admin_id, seq, name, email, key_hash, created_at)
        SELECT 'AD' || upper(hex(randomblob(7))), 1, 'first admin', NULL, admin_key_hash, created_at FROM pool;
      -- the pool's own identity provider for its admins' dashboard sign-in, as JSON: { issuer, clientId, clientSecret?, allowedDomains }
      ALTER TABLE pool ADD COLUMN sso TEXT;
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
  {
    id: 9,
    why: "Where a pool lives and how long it keeps what it knows: its region and location hint (shown on the pool), how many days ended sessions, seats and events are kept, and a daily timer that prunes by that even when the pool is quiet.",
    sql: `
      ALTER TABLE pool ADD COLUMN region TEXT NOT NULL DEFAULT 'global';
      ALTER TABLE pool ADD COLUMN location_hint TEXT;
      ALTER TABLE pool ADD COLUMN retention_days INTEGER NOT NULL DEFAULT 90;
      INSERT OR IGNORE INTO timers (kind, key, due_at) SELECT 'retention', '', created_at FROM pool;
    `,
  },
  {
    id: 10,
    why: "Borrowing a seat to work offline: the pool's two limits, and one row per borrowed seat with the session that borrowed it and when it comes back.",
    sql: `
      ALTER TABLE pool ADD COLUMN max_borrow_days INTEGER;
      ALTER TABLE pool ADD COLUMN max_borrowed_seats INTEGER;
      CREATE TABLE borrows (
        seat_id TEXT PRIMARY KEY,
        session_id TEXT NOT NULL,
        until INTEGER NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    id: 11,
    why: "The queue through the checkout's decisions: each ticket's group (folded, or null), so a group's reserved seats go to its waiters first and a group at its max is passed over; and whether queue.waiting was sent for it.",
    sql: `
      ALTER TABLE tickets ADD COLUMN group_key TEXT;
      ALTER TABLE tickets ADD COLUMN waiting_told INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    id: 12,
    why: "Vendor-wide webhooks and the term's warnings: one outbox row per event for the vendor's subscriptions (which live in the directory, so the pool's payloads never leave it), turned into ordinary deliveries marked vendor when the alarm sends it; and pool.expiring timers for pools whose validUntil was set before this step (a warning more than a day late is dropped when its timer runs).",
    sql: `
      CREATE TABLE vendor_outbox (
        id TEXT PRIMARY KEY,
        type TEXT NOT NULL,
        at INTEGER NOT NULL,
        payload TEXT NOT NULL
      ) WITHOUT ROWID;
      ALTER TABLE deliveries ADD COLUMN vendor INTEGER NOT NULL DEFAULT 0;
      INSERT OR IGNORE INTO timers (kind, key, due_at) SELECT 'pool_expiring', '14', valid_until - 14 * 86400000 FROM pool WHERE valid_until IS NOT NULL;
      INSERT OR IGNORE INTO timers (kind, key, due_at) SELECT 'pool_expiring', '3', valid_until - 3 * 86400000 FROM pool WHERE valid_until IS NOT NULL;
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
  {
    id: 2,
    why: "Vendor staff with roles and personal tokens (hashes only), and the dashboard's sessions kept on the server so signing out, disabling a person or removing an admin ends them at once.",
    sql: `
      CREATE TABLE staff (
        staff_id TEXT PRIMARY KEY,
        email TEXT NOT NULL,
        -- the e-mail address as compared: trimmed, lower case
        email_key TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        role TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        disabled INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE dashboard_sessions (
        -- SHA-256 of the cookie's random id: the cookie alone opens nothing stored here
        id_hash TEXT PRIMARY KEY,
        -- 'vendor' (ADMIN_TOKEN), 'staff' or 'admin'
        kind TEXT NOT NULL,
        staff_id TEXT,
        pool_id TEXT,
        admin_id TEXT,
        -- the admin key's hash (key sign-in) or the e-mail address (single sign-on), what the pool object checks
        admin_key_hash TEXT,
        sso_email TEXT,
        csrf TEXT NOT NULL,
        via TEXT NOT NULL,
        user_agent TEXT,
        created_at INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX dashboard_sessions_staff ON dashboard_sessions (staff_id) WHERE staff_id IS NOT NULL;
      CREATE INDEX dashboard_sessions_admin ON dashboard_sessions (pool_id, admin_id) WHERE pool_id IS NOT NULL;
      -- an OpenID Connect sign-in under way, by its state's hash: taken once at the callback, so a replayed state finds nothing
      CREATE TABLE oidc_pending (
        state_hash TEXT PRIMARY KEY,
        nonce TEXT NOT NULL,
        verifier TEXT NOT NULL,
        -- the pool whose provider this is; null for the vendor's
        pool_id TEXT,
        created_at INTEGER NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    id: 3,
    why: "The vendor's list shows where each pool lives: its region and location hint.",
    sql: `
      ALTER TABLE pools ADD COLUMN region TEXT NOT NULL DEFAULT 'global';
      ALTER TABLE pools ADD COLUMN location_hint TEXT;
    `,
  },
  {
    id: 4,
    why: "Vendor-wide webhooks: the subscriptions alone (URL, event types, the secret kept as is, since signing needs it). Each pool delivers its own events to them, so no pool's payload is ever stored here.",
    sql: `
      CREATE TABLE vendor_webhooks (
        webhook_id TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        events TEXT NOT NULL,
        secret TEXT NOT NULL,
        created_at INTEGER NOT NULL
      ) WITHOUT ROWID;
    `,
  },
];
