/**
 * The pool's own tables (the pool row, seats, sessions, events, usage, timers). Every method is synchronous, so a caller
 * can read, decide and write with no `await` in between. It speaks rows; turning rows
 * into the contract's shapes is `contract-shapes.ts`'s job.
 *
 * Its statements, like every room's, go through the object's one `MeteredSql`, which counts
 * the rows each reads and writes.
 */
import type { EndReason } from "../src/contract/errors.js";
import type { EventType, LocationHint, Region } from "../src/contract/schemas.js";
import { DAY, HOUR } from "../src/contract/time.js";
import type { MeteredSql, Row, StoreMeter } from "./metered-sql.js";

export type { StoreMeter } from "./metered-sql.js";

export interface PoolRow {
  pool_id: string;
  customer: string;
  seats: number;
  /** Seats in use: kept in memory and recounted on load (the column is never written after creation). */
  in_use: number;
  min_client_version: string | null;
  stale_after_hours: number | null;
  generation: number;
  key_hash: string;
  admin_key_hash: string;
  created_at: number;
  max_sessions_per_seat: number;
  max_addresses_per_seat: number;
  /** 0 or 1 */
  refuse_widely_shared_seats: number;
  /** Borrowing: the longest a seat may be borrowed for (null: off), and how many at once (null: no limit). */
  max_borrow_days: number | null;
  max_borrowed_seats: number | null;
  /** The pool's single sign-on for its admins, as JSON (`SsoSettings`), or null. */
  sso: string | null;
  // ---- pool policy (migration 6) ----
  /** ms; null for an open start */
  valid_from: number | null;
  /** ms; null for no end */
  valid_until: number | null;
  overdraft_seats: number | null;
  /** JSON of the contract's `blocked` list, or null */
  blocked: string | null;
  /** JSON of the contract's `groups` object, or null */
  groups: string | null;
  /** Migration 5: idle reclaim (null: never) and its warning, and whether users may free their own seats (0 or 1). */
  reclaim_idle_minutes: number | null;
  reclaim_grace_minutes: number;
  self_release: number;
  /** "global" or "eu": the namespace the object lives in (its id's first letter says the same). */
  region: Region;
  location_hint: LocationHint | null;
  /** Days ended sessions, ended seats and events are kept. */
  retention_days: number;
  alert_threshold_percent: number;
}

export interface SeatRow {
  seat_id: string;
  identity: string;
  user: string;
  machine: string;
  terminal_session: string | null;
  since: number;
  last_seen_at: number;
  sessions: number;
  ended_at: number | null;
  /** The folded `machineId` the seat was taken with: only sessions with the same one join it. */
  machine_id: string | null;
  /** 1 once its sessions came from more addresses than the pool allows (logged once). */
  shared_widely: number;
  /** The folded group the seat was taken for (migration 6), or null. */
  group_key?: string | null;
}

export interface SessionRow {
  session_id: string;
  seat_id: string;
  instance: string | null;
  client_version: string | null;
  started_at: number;
  last_seen_at: number;
  ended_at: number | null;
  end_reason: EndReason | null;
  /** The client address the session was checked out from. */
  address: string | null;
}

export interface EventInput {
  type: EventType;
  actor?: string | null;
  seatId?: string | null;
  sessionId?: string | null;
  user?: string | null;
  machine?: string | null;
  terminalSession?: string | null;
  details?: Record<string, unknown> | null;
}

/**
 * An event that many requests may cause (a failed authentication, a refusal): one row per
 * key (for example address and minute) whose `details.count` counts them. These are the
 * security events, capped apart from the seat events so a flood never pushes those out.
 */
export interface AggregatedEventInput extends EventInput {
  key: string;
}

export interface EventRow {
  id: number;
  at: number;
  type: EventType;
  actor: string | null;
  seat_id: string | null;
  session_id: string | null;
  user: string | null;
  machine: string | null;
  terminal_session: string | null;
  /** JSON text */
  details: string | null;
  /** Set on aggregated (security) events only. */
  agg_key: string | null;
}

export interface UsageRow {
  hour: number;
  peak_in_use: number;
  last_in_use: number;
  checkouts: number;
  denials: number;
  /** Migration 5 (the queue): waits served in the hour, and the longest of them. */
  waits: number;
  max_wait_seconds: number;
}

export interface TimerRow {
  kind: string;
  key: string;
  due_at: number;
}

/** The audit log keeps this many newest seat events per pool, and as many security events besides. */
export const EVENTS_CAP = 20_000;
export const SECURITY_EVENTS_CAP = 20_000;
/** Ended sessions and seats (and events) are kept this long by default, so late releases still learn why... (a pool's `retentionDays` sets it) */
export const ENDED_RETENTION_MS = 90 * DAY;
/** ...and at most this many of each, so churn cannot grow storage without bound. */
export const ENDED_CAP = 50_000;
/** Hourly usage is kept this long. */
export const USAGE_RETENTION_MS = 400 * DAY;
/** Events are pruned every this many writes, so a class may run this far past its cap between runs. */
export const PRUNE_EVERY = 256;
/** Ended sessions and seats are pruned every this many ends: that prune counts them, a scan, since no index is kept for it. */
export const ENDED_PRUNE_EVERY = 4096;

/** The settings added since 1.0, as a new pool (or one from before them) has them. */
export const LATER_SETTING_DEFAULTS = {
  max_borrow_days: null,
  max_borrowed_seats: null,
  sso: null,
  valid_from: null,
  valid_until: null,
  overdraft_seats: null,
  blocked: null,
  groups: null,
  reclaim_idle_minutes: null,
  reclaim_grace_minutes: 5,
  self_release: 1,
  region: "global",
  location_hint: null,
  retention_days: 90,
  alert_threshold_percent: 90,
} as const satisfies Partial<PoolRow>;

/** The pool row's settings: what `PATCH /v1/pools/{id}` changes, written together. A new setting is a column here. */
const SETTING_COLUMNS = [
  "customer", "seats", "min_client_version", "stale_after_hours", "max_sessions_per_seat", "max_addresses_per_seat",
  "refuse_widely_shared_seats", "max_borrow_days", "max_borrowed_seats", "sso",
  "valid_from", "valid_until", "overdraft_seats", "blocked", "groups", "reclaim_idle_minutes", "reclaim_grace_minutes", "self_release",
  "retention_days", "alert_threshold_percent",
] as const satisfies readonly (keyof PoolRow)[];

export class PoolStore {
  private writesSincePrune = 0;
  private endsSincePrune = 0;
  /** The newest usage row as it was written (see `recordUsage`); undefined until read. */
  private newestUsage: { hour: number; level: number } | null | undefined;
  /** The pool's `retentionDays` in ms, set by the object when it loads and when the setting changes. */
  endedRetentionMs = ENDED_RETENTION_MS;

  constructor(private readonly db: MeteredSql) {}

  get meter(): StoreMeter {
    return this.db.meter;
  }

  private all<T extends Row>(query: string, ...params: unknown[]): T[] {
    return this.db.all<T>(query, ...params);
  }

  private run(query: string, ...params: unknown[]): void {
    this.db.run(query, ...params);
  }

  private first<T extends Row>(query: string, ...params: unknown[]): T | undefined {
    return this.db.first<T>(query, ...params);
  }

  /** After a transaction rolled back: what this store remembers of the disk is read again. */
  forgetCache(): void {
    this.newestUsage = undefined;
  }

  // ---- pool ----------------------------------------------------------------

  /**
   * The pool row, with `in_use` recounted from the active seats: the counter lives in
   * memory and is never written (a row per checkout saved), so loading recounts it, exactly.
   */
  readPool(): PoolRow | undefined {
    const p = this.first<PoolRow & Row>("SELECT * FROM pool WHERE id = 1");
    if (p) p.in_use = this.first<{ n: number }>("SELECT COUNT(*) AS n FROM seats WHERE ended_at IS NULL")!.n;
    return p;
  }

  insertPool(p: PoolRow): void {
    const columns = ["pool_id", "in_use", "generation", "key_hash", "admin_key_hash", "created_at", "region", "location_hint", ...SETTING_COLUMNS] as const;
    this.run(
      `INSERT INTO pool (id, ${columns.join(", ")}) VALUES (1, ${columns.map(() => "?").join(", ")})`,
      ...columns.map((c) => p[c]),
    );
    this.run("INSERT INTO credentials (generation, key_hash, issued_at) VALUES (?, ?, ?)", p.generation, p.key_hash, p.created_at);
  }

  writeSettings(p: PoolRow): void {
    this.run(`UPDATE pool SET ${SETTING_COLUMNS.map((c) => `${c} = ?`).join(", ")} WHERE id = 1`, ...SETTING_COLUMNS.map((c) => p[c]));
  }

  writeCredentials(generation: number, keyHash: string, now: number): void {
    this.run("UPDATE credentials SET revoked_at = ? WHERE revoked_at IS NULL", now);
    this.run("INSERT INTO credentials (generation, key_hash, issued_at) VALUES (?, ?, ?)", generation, keyHash, now);
    this.run("UPDATE pool SET generation = ?, key_hash = ? WHERE id = 1", generation, keyHash);
  }

  writeAdminKeyHash(hash: string): void {
    this.run("UPDATE pool SET admin_key_hash = ? WHERE id = 1", hash);
  }

  keyHashOfGeneration(generation: number): string | undefined {
    return this.first<{ key_hash: string }>("SELECT key_hash FROM credentials WHERE generation = ?", generation)?.key_hash;
  }

  // ---- seats and sessions --------------------------------------------------
  //
  // `seats` is keyed by seat id with one partial index (the active seat of an identity);
  // `sessions` by (seat id, session id), so a seat's sessions are a range of the key and
  // need no index; only a launch's `instance` has one, and only when it is set.

  activeSeatOf(identity: string): SeatRow | undefined {
    return this.first<SeatRow & Row>("SELECT * FROM seats WHERE identity = ? AND ended_at IS NULL", identity);
  }

  /** The distinct client addresses of a seat's active sessions (at most `maxSessionsPerSeat` rows). */
  seatAddresses(seatId: string): string[] {
    return this.all<{ address: string }>(
      "SELECT DISTINCT address FROM sessions WHERE seat_id = ? AND ended_at IS NULL AND address IS NOT NULL",
      seatId,
    ).map((r) => r.address);
  }

  markSharedWidely(seatId: string): void {
    this.run("UPDATE seats SET shared_widely = 1 WHERE seat_id = ?", seatId);
  }

  activeSeat(seatId: string): SeatRow | undefined {
    return this.first<SeatRow & Row>("SELECT * FROM seats WHERE seat_id = ? AND ended_at IS NULL", seatId);
  }

  insertSeat(s: Omit<SeatRow, "ended_at" | "shared_widely">): void {
    this.run(
      `INSERT INTO seats (seat_id, identity, user, machine, terminal_session, since, last_seen_at, sessions, machine_id, group_key)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      s.seat_id, s.identity, s.user, s.machine, s.terminal_session, s.since, s.last_seen_at, s.sessions, s.machine_id, s.group_key ?? null,
    );
  }

  joinSeat(seatId: string, now: number): void {
    this.run("UPDATE seats SET sessions = sessions + 1, last_seen_at = ? WHERE seat_id = ?", now, seatId);
  }

  insertSession(s: Omit<SessionRow, "ended_at" | "end_reason">): void {
    this.run(
      `INSERT INTO sessions (session_id, seat_id, instance, client_version, started_at, last_seen_at, address)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      s.session_id, s.seat_id, s.instance, s.client_version, s.started_at, s.last_seen_at, s.address,
    );
  }

  /** A session by its key: its token names both its id and its seat. */
  session(sessionId: string, seatId: string): SessionRow | undefined {
    return this.first<SessionRow & Row>("SELECT * FROM sessions WHERE seat_id = ? AND session_id = ?", seatId, sessionId);
  }

  sessionByInstance(instance: string): (SessionRow & { identity: string }) | undefined {
    return this.first<SessionRow & { identity: string } & Row>(
      "SELECT sessions.*, seats.identity FROM sessions JOIN seats USING (seat_id) WHERE sessions.instance = ?",
      instance,
    );
  }

  /** Frees a launch's instance id from the ended session that had it, for a new session of the same launch. */
  forgetInstance(instance: string): void {
    this.run("UPDATE sessions SET instance = NULL WHERE instance = ?", instance);
  }

  seatById(seatId: string): SeatRow | undefined {
    return this.first<SeatRow & Row>("SELECT * FROM seats WHERE seat_id = ?", seatId);
  }

  touchSession(sessionId: string, seatId: string, now: number): void {
    this.run("UPDATE sessions SET last_seen_at = ? WHERE seat_id = ? AND session_id = ?", now, seatId, sessionId);
    this.run("UPDATE seats SET last_seen_at = ? WHERE seat_id = ?", now, seatId);
  }

  touchSeat(seatId: string, now: number): void {
    this.run("UPDATE seats SET last_seen_at = ? WHERE seat_id = ?", now, seatId);
  }

  /** Ends one session; the seat ends with its last session. Returns the seat as it now is. */
  endSession(sessionId: string, seatId: string, reason: EndReason, now: number): SeatRow {
    this.run("UPDATE sessions SET ended_at = ?, end_reason = ? WHERE seat_id = ? AND session_id = ?", now, reason, seatId, sessionId);
    this.noteEnded(now, 1);
    return this.all<SeatRow & Row>(
      `UPDATE seats SET sessions = sessions - 1, ended_at = CASE WHEN sessions = 1 THEN ? ELSE NULL END
       WHERE seat_id = ? RETURNING *`,
      now, seatId,
    )[0]!;
  }

  /** Ends every session of a seat and the seat. Returns how many sessions ended. */
  endSeat(seatId: string, reason: EndReason, now: number): number {
    const ended = this.all(
      "UPDATE sessions SET ended_at = ?, end_reason = ? WHERE seat_id = ? AND ended_at IS NULL RETURNING 1",
      now, reason, seatId,
    ).length;
    this.run("UPDATE seats SET sessions = 0, ended_at = ? WHERE seat_id = ?", now, seatId);
    this.noteEnded(now, ended);
    return ended;
  }

  /** Ends every active session and seat of the pool. Returns how many sessions ended. */
  endAll(reason: EndReason, now: number): number {
    const ended = this.all("UPDATE sessions SET ended_at = ?, end_reason = ? WHERE ended_at IS NULL RETURNING 1", now, reason).length;
    this.run("UPDATE seats SET sessions = 0, ended_at = ? WHERE ended_at IS NULL", now);
    this.noteEnded(now, ended);
    return ended;
  }

  /** Stale expiry runs on its timer, rarely: a scan of the active seats, instead of an index every seat would pay for. */
  staleSeats(lastSeenBefore: number, limit: number): SeatRow[] {
    return this.all<SeatRow & Row>(
      "SELECT * FROM seats WHERE ended_at IS NULL AND last_seen_at <= ? ORDER BY last_seen_at LIMIT ?",
      lastSeenBefore, limit,
    );
  }

  oldestActiveLastSeen(): number | null {
    return this.first<{ t: number | null }>("SELECT MIN(last_seen_at) AS t FROM seats WHERE ended_at IS NULL")?.t ?? null;
  }

  /**
   * A page of active seats in seat-id order (seat ids begin with their creation time, so
   * this is oldest first), after the seat id `after`, optionally only those whose folded
   * identity contains `match` (a LIKE pattern). Walks the primary key: no sort, no extra index.
   */
  activeSeatsPage(limit: number, after: string | undefined, match: string | undefined): SeatRow[] {
    return this.all<SeatRow & Row>(
      `SELECT * FROM seats WHERE ended_at IS NULL AND seat_id > ? ${match === undefined ? "" : "AND identity LIKE ? ESCAPE '\\'"}
       ORDER BY seat_id LIMIT ?`,
      ...(match === undefined ? [after ?? "", limit] : [after ?? "", match, limit]),
    );
  }

  countActiveSeatsMatching(match: string): number {
    return this.first<{ n: number }>("SELECT COUNT(*) AS n FROM seats WHERE ended_at IS NULL AND identity LIKE ? ESCAPE '\\'", match)!.n;
  }

  /** The active sessions of some seats, oldest first (a range of the sessions' key per seat). */
  activeSessionsOf(seatIds: string[]): SessionRow[] {
    const out: SessionRow[] = [];
    for (const id of seatIds) {
      out.push(...this.all<SessionRow & Row>("SELECT * FROM sessions WHERE seat_id = ? AND ended_at IS NULL ORDER BY started_at", id));
    }
    return out;
  }

  countActive(): { seats: number; sessions: number } {
    const seats = this.first<{ n: number }>("SELECT COUNT(*) AS n FROM seats WHERE ended_at IS NULL")!.n;
    const sessions = this.first<{ n: number }>("SELECT COUNT(*) AS n FROM sessions WHERE ended_at IS NULL")!.n;
    return { seats, sessions };
  }

  // ---- events --------------------------------------------------------------

  logEvent(now: number, e: EventInput): void {
    this.run(
      `INSERT INTO events (at, type, actor, seat_id, session_id, user, machine, terminal_session, details)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      now, e.type, e.actor ?? null, e.seatId ?? null, e.sessionId ?? null, e.user ?? null, e.machine ?? null,
      e.terminalSession ?? null, e.details ? JSON.stringify(e.details) : null,
    );
    if (++this.writesSincePrune >= PRUNE_EVERY) this.pruneEvents();
  }

  /** Counts one more of an aggregated event: the first of its key is inserted with `count: 1`. Returns true for a new row. */
  countEvent(now: number, e: AggregatedEventInput): boolean {
    const bumped = this.all(
      `UPDATE events SET details = json_set(details, '$.count', json_extract(details, '$.count') + 1, '$.lastAt', ?)
       WHERE agg_key = ? RETURNING 1`,
      new Date(now).toISOString(), e.key,
    ).length;
    if (bumped > 0) return false;
    this.run(
      `INSERT INTO events (at, type, actor, seat_id, session_id, user, machine, terminal_session, details, agg_key)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      now, e.type, e.actor ?? null, e.seatId ?? null, e.sessionId ?? null, e.user ?? null, e.machine ?? null,
      e.terminalSession ?? null, JSON.stringify({ ...e.details, count: 1 }), e.key,
    );
    if (++this.writesSincePrune >= PRUNE_EVERY) this.pruneEvents();
    return true;
  }

  /** A page of events, newest first, before the event id `before`. */
  events(limit: number, before: number | undefined): EventRow[] {
    return this.all<EventRow & Row>("SELECT * FROM events WHERE id < ? ORDER BY id DESC LIMIT ?", before ?? Number.MAX_SAFE_INTEGER, limit);
  }

  // ---- usage ---------------------------------------------------------------

  private newestUsageRow(): { hour: number; level: number } | null {
    if (this.newestUsage === undefined) {
      const r = this.first<{ hour: number; last_in_use: number }>("SELECT hour, last_in_use FROM usage_hours ORDER BY hour DESC LIMIT 1");
      this.newestUsage = r ? { hour: r.hour, level: r.last_in_use } : null;
    }
    return this.newestUsage;
  }

  /**
   * One upsert into the hour's bucket per checkout or denial. A fall in use within an
   * hour that already has its row writes nothing: that row's `last_in_use` then lags, and
   * the true level is the live counter, since nothing changed in a later hour (the first
   * change of an hour always writes). The first write of a later hour first puts the
   * lagging row right (`before` is the level it ended at); readers pass the live level for
   * the newest row. So a release costs no usage row, and an hour at most two.
   */
  recordUsage(now: number, before: number, after: number, checkouts: number, denials: number): void {
    const hour = Math.floor(now / HOUR) * HOUR;
    const newest = this.newestUsageRow();
    if (newest && newest.hour === hour && checkouts === 0 && denials === 0 && after <= before) return;
    if (newest && newest.hour < hour && newest.level !== before) {
      this.run("UPDATE usage_hours SET last_in_use = ? WHERE hour = ?", before, newest.hour);
    }
    this.run(
      `INSERT INTO usage_hours (hour, peak_in_use, last_in_use, checkouts, denials) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (hour) DO UPDATE SET peak_in_use = max(peak_in_use, excluded.peak_in_use),
         last_in_use = excluded.last_in_use, checkouts = checkouts + excluded.checkouts,
         denials = denials + excluded.denials`,
      hour, Math.max(before, after), after, checkouts, denials,
    );
    if (!newest || newest.hour <= hour) this.newestUsage = { hour, level: after };
  }

  /**
   * The hours that saw a change, from `start` (inclusive) to `end` (exclusive), oldest
   * first; the newest row's level is `liveLevel` (see `recordUsage`).
   */
  usageHours(start: number, end: number, liveLevel: number): UsageRow[] {
    const newest = this.newestUsageRow();
    return this.all<UsageRow & Row>("SELECT * FROM usage_hours WHERE hour >= ? AND hour < ? ORDER BY hour", start, end)
      .map((r) => (r.hour === newest?.hour ? { ...r, last_in_use: liveLevel } : r));
  }

  /** Seats in use at the end of the last hour that saw a change before `start`: the level quiet hours carry. */
  levelBefore(start: number, liveLevel: number): number {
    const r = this.first<{ hour: number; last_in_use: number }>(
      "SELECT hour, last_in_use FROM usage_hours WHERE hour < ? ORDER BY hour DESC LIMIT 1",
      start,
    );
    if (!r) return 0;
    return r.hour === this.newestUsageRow()?.hour ? liveLevel : r.last_in_use;
  }

  // ---- timers --------------------------------------------------------------

  timer(kind: string, key: string): TimerRow | undefined {
    return this.first<TimerRow & Row>("SELECT * FROM timers WHERE kind = ? AND key = ?", kind, key);
  }

  setTimer(t: TimerRow): void {
    this.run(
      "INSERT INTO timers (kind, key, due_at) VALUES (?, ?, ?) ON CONFLICT (kind, key) DO UPDATE SET due_at = excluded.due_at",
      t.kind, t.key, t.due_at,
    );
  }

  deleteTimer(kind: string, key: string): void {
    this.run("DELETE FROM timers WHERE kind = ? AND key = ?", kind, key);
  }

  /** The keys of every timer of one kind. */
  timerKeys(kind: string): string[] {
    return this.all<{ key: string }>("SELECT key FROM timers WHERE kind = ?", kind).map((r) => r.key);
  }

  dueTimers(now: number, limit: number): TimerRow[] {
    return this.all<TimerRow & Row>("SELECT * FROM timers WHERE due_at <= ? ORDER BY due_at LIMIT ?", now, limit);
  }

  earliestTimer(): number | null {
    return this.first<{ t: number | null }>("SELECT MIN(due_at) AS t FROM timers")?.t ?? null;
  }

  // ---- pool policy (issue 12) ----------------------------------------------

  /** Active seats per group, for the in-memory counts recounted on load. */
  activeSeatsByGroup(): { group_key: string; n: number }[] {
    return this.all<{ group_key: string; n: number }>(
      "SELECT group_key, COUNT(*) AS n FROM seats WHERE ended_at IS NULL AND group_key IS NOT NULL GROUP BY group_key",
    );
  }

  /** Raises the hour's most overdraft seats held at once; written only on a grant beyond `seats`. */
  recordOverdraft(now: number, overdraft: number): void {
    this.run(
      "INSERT INTO overdraft_hours (hour, peak) VALUES (?, ?) ON CONFLICT (hour) DO UPDATE SET peak = max(peak, excluded.peak)",
      Math.floor(now / HOUR) * HOUR, overdraft,
    );
  }

  /** The hours that saw overdraft, from `start` (inclusive) to `end` (exclusive). */
  overdraftHours(start: number, end: number): { hour: number; peak: number }[] {
    return this.all<{ hour: number; peak: number }>("SELECT hour, peak FROM overdraft_hours WHERE hour >= ? AND hour < ?", start, end);
  }


  // ---- bounds: the newest events, recent ended sessions, a year of usage ----

  /** Each class of event keeps its newest (a walk of the rowid): a flood of failed authentications never pushes out who used the seats. */
  private pruneEvents(): void {
    this.writesSincePrune = 0;
    this.run(
      `DELETE FROM events WHERE agg_key IS NULL AND id <= (SELECT id FROM events WHERE agg_key IS NULL ORDER BY id DESC LIMIT 1 OFFSET ?)`,
      EVENTS_CAP,
    );
    this.run(
      `DELETE FROM events WHERE agg_key IS NOT NULL AND id <= (SELECT id FROM events WHERE agg_key IS NOT NULL ORDER BY id DESC LIMIT 1 OFFSET ?)`,
      SECURITY_EVENTS_CAP,
    );
  }

  /** Everything at once: the daily retention timer, and a change of `retentionDays`. */
  prune(now: number): void {
    this.pruneEvents();
    this.pruneEnded(now);
  }

  private noteEnded(now: number, n: number): void {
    this.endsSincePrune += n;
    if (this.endsSincePrune >= ENDED_PRUNE_EVERY) this.pruneEnded(now);
  }

  /** Ended sessions and seats past their retention or beyond the cap, oldest first; a scan, every `ENDED_PRUNE_EVERY` ends. */
  private pruneEnded(now: number): void {
    this.endsSincePrune = 0;
    const cutoff = now - this.endedRetentionMs;
    // events older than the pool's retention: only the oldest rows are examined, so a prune stays bounded
    this.run("DELETE FROM events WHERE id IN (SELECT id FROM events ORDER BY id LIMIT 5000) AND at < ?", cutoff);
    for (const [table, key] of [["sessions", "seat_id, session_id"], ["seats", "seat_id"]] as const) {
      this.run(`DELETE FROM ${table} WHERE ended_at IS NOT NULL AND ended_at < ?`, cutoff);
      const excess = this.first<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table} WHERE ended_at IS NOT NULL`)!.n - ENDED_CAP;
      if (excess > 0) {
        this.run(
          `DELETE FROM ${table} WHERE (${key}) IN (SELECT ${key} FROM ${table} WHERE ended_at IS NOT NULL ORDER BY ended_at LIMIT ?)`,
          excess,
        );
      }
    }
    this.run("DELETE FROM usage_hours WHERE hour < ?", now - USAGE_RETENTION_MS);
    this.run("DELETE FROM overdraft_hours WHERE hour < ?", now - USAGE_RETENTION_MS);
  }

  // ---- borrowing (migration 10) ----------------------------------------------

  borrowOfSeat(seatId: string): BorrowRow | undefined {
    return this.first<BorrowRow & Row>("SELECT * FROM borrows WHERE seat_id = ?", seatId);
  }

  /** Borrows of the given seats, for the seat list. */
  borrowsOf(seatIds: string[]): BorrowRow[] {
    const out: BorrowRow[] = [];
    for (const id of seatIds) {
      const b = this.borrowOfSeat(id);
      if (b) out.push(b);
    }
    return out;
  }

  countBorrows(): number {
    return this.first<{ n: number }>("SELECT COUNT(*) AS n FROM borrows")!.n;
  }

  setBorrow(b: BorrowRow): void {
    this.run(
      "INSERT INTO borrows (seat_id, session_id, until) VALUES (?, ?, ?) ON CONFLICT (seat_id) DO UPDATE SET session_id = excluded.session_id, until = excluded.until",
      b.seat_id, b.session_id, b.until,
    );
  }

  deleteBorrow(seatId: string): void {
    this.run("DELETE FROM borrows WHERE seat_id = ?", seatId);
  }

  /** Drops every borrow whose seat has ended (a revocation ends them all at once); returns their seat ids. */
  dropEndedBorrows(): string[] {
    return this.all<{ seat_id: string }>(
      "DELETE FROM borrows WHERE seat_id NOT IN (SELECT seat_id FROM seats WHERE ended_at IS NULL) RETURNING seat_id",
    ).map((r) => r.seat_id);
  }
}

export interface BorrowRow {
  seat_id: string;
  session_id: string;
  until: number;
}
