/**
 * All SQL of a pool object, in one module. Every method is synchronous, so a caller
 * can read, decide and write with no `await` in between. It speaks rows; turning rows
 * into the contract's shapes is `contract-shapes.ts`'s job.
 */
import type { EndReason } from "../src/contract/errors.js";
import type { EventType } from "../src/contract/schemas.js";
import { DAY, HOUR } from "../src/contract/time.js";

export interface PoolRow {
  pool_id: string;
  customer: string;
  seats: number;
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
}

export interface TimerRow {
  kind: string;
  key: string;
  due_at: number;
}

/** The audit log keeps this many newest seat events per pool, and as many security events besides. */
export const EVENTS_CAP = 20_000;
export const SECURITY_EVENTS_CAP = 20_000;
/** Ended sessions and seats are kept this long, so late releases still learn why... */
export const ENDED_RETENTION_MS = 90 * DAY;
/** ...and at most this many of each, so churn cannot grow storage without bound. */
export const ENDED_CAP = 50_000;
/** Hourly usage is kept this long. */
export const USAGE_RETENTION_MS = 400 * DAY;
/** Pruning runs every this many writes, so a class may run this far past its cap between runs. */
export const PRUNE_EVERY = 256;

type Row = Record<string, SqlStorageValue>;

export class PoolStore {
  private writesSincePrune = 0;

  constructor(private readonly sql: SqlStorage) {}

  private first<T extends Row>(query: string, ...params: unknown[]): T | undefined {
    return this.sql.exec<T>(query, ...params).toArray()[0];
  }

  // ---- pool ----------------------------------------------------------------

  readPool(): PoolRow | undefined {
    return this.first<PoolRow & Row>("SELECT * FROM pool WHERE id = 1");
  }

  insertPool(p: PoolRow): void {
    this.sql.exec(
      `INSERT INTO pool (id, pool_id, customer, seats, in_use, min_client_version, stale_after_hours,
         generation, key_hash, admin_key_hash, created_at, max_sessions_per_seat, max_addresses_per_seat,
         refuse_widely_shared_seats) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      p.pool_id, p.customer, p.seats, p.in_use, p.min_client_version, p.stale_after_hours,
      p.generation, p.key_hash, p.admin_key_hash, p.created_at, p.max_sessions_per_seat, p.max_addresses_per_seat,
      p.refuse_widely_shared_seats,
    );
    this.sql.exec("INSERT INTO credentials (generation, key_hash, issued_at) VALUES (?, ?, ?)", p.generation, p.key_hash, p.created_at);
  }

  writeInUse(inUse: number): void {
    this.sql.exec("UPDATE pool SET in_use = ? WHERE id = 1", inUse);
  }

  writeSettings(p: PoolRow): void {
    this.sql.exec(
      `UPDATE pool SET customer = ?, seats = ?, min_client_version = ?, stale_after_hours = ?, max_sessions_per_seat = ?,
         max_addresses_per_seat = ?, refuse_widely_shared_seats = ?, alert_threshold_percent = ? WHERE id = 1`,
      p.customer, p.seats, p.min_client_version, p.stale_after_hours, p.max_sessions_per_seat,
      p.max_addresses_per_seat, p.refuse_widely_shared_seats, p.alert_threshold_percent,
    );
  }

  writeCredentials(generation: number, keyHash: string, now: number): void {
    this.sql.exec("UPDATE credentials SET revoked_at = ? WHERE revoked_at IS NULL", now);
    this.sql.exec("INSERT INTO credentials (generation, key_hash, issued_at) VALUES (?, ?, ?)", generation, keyHash, now);
    this.sql.exec("UPDATE pool SET generation = ?, key_hash = ? WHERE id = 1", generation, keyHash);
  }

  writeAdminKeyHash(hash: string): void {
    this.sql.exec("UPDATE pool SET admin_key_hash = ? WHERE id = 1", hash);
  }

  keyHashOfGeneration(generation: number): string | undefined {
    return this.first<{ key_hash: string }>("SELECT key_hash FROM credentials WHERE generation = ?", generation)?.key_hash;
  }

  // ---- seats and sessions --------------------------------------------------

  activeSeatOf(identity: string): SeatRow | undefined {
    return this.first<SeatRow & Row>("SELECT * FROM seats WHERE identity = ? AND ended_at IS NULL", identity);
  }

  /** The distinct client addresses of a seat's active sessions (at most `maxSessionsPerSeat` rows). */
  seatAddresses(seatId: string): string[] {
    return this.sql
      .exec<{ address: string }>("SELECT DISTINCT address FROM sessions WHERE seat_id = ? AND ended_at IS NULL AND address IS NOT NULL", seatId)
      .toArray()
      .map((r) => r.address);
  }

  markSharedWidely(seatId: string): void {
    this.sql.exec("UPDATE seats SET shared_widely = 1 WHERE seat_id = ?", seatId);
  }

  activeSeat(seatId: string): SeatRow | undefined {
    return this.first<SeatRow & Row>("SELECT * FROM seats WHERE seat_id = ? AND ended_at IS NULL", seatId);
  }

  insertSeat(s: Omit<SeatRow, "ended_at" | "shared_widely">): void {
    this.sql.exec(
      `INSERT INTO seats (seat_id, identity, user, machine, terminal_session, since, last_seen_at, sessions, machine_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      s.seat_id, s.identity, s.user, s.machine, s.terminal_session, s.since, s.last_seen_at, s.sessions, s.machine_id,
    );
  }

  joinSeat(seatId: string, now: number): void {
    this.sql.exec("UPDATE seats SET sessions = sessions + 1, last_seen_at = ? WHERE seat_id = ?", now, seatId);
  }

  insertSession(s: Omit<SessionRow, "ended_at" | "end_reason">): void {
    this.sql.exec(
      `INSERT INTO sessions (session_id, seat_id, instance, client_version, started_at, last_seen_at, address)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      s.session_id, s.seat_id, s.instance, s.client_version, s.started_at, s.last_seen_at, s.address,
    );
  }

  session(sessionId: string): SessionRow | undefined {
    return this.first<SessionRow & Row>("SELECT * FROM sessions WHERE session_id = ?", sessionId);
  }

  sessionByInstance(instance: string): (SessionRow & { identity: string }) | undefined {
    return this.first<SessionRow & { identity: string } & Row>(
      "SELECT sessions.*, seats.identity FROM sessions JOIN seats USING (seat_id) WHERE sessions.instance = ?",
      instance,
    );
  }

  forgetInstance(sessionId: string): void {
    this.sql.exec("UPDATE sessions SET instance = NULL WHERE session_id = ?", sessionId);
  }

  seatById(seatId: string): SeatRow | undefined {
    return this.first<SeatRow & Row>("SELECT * FROM seats WHERE seat_id = ?", seatId);
  }

  touchSession(sessionId: string, seatId: string, now: number): void {
    this.sql.exec("UPDATE sessions SET last_seen_at = ? WHERE session_id = ?", now, sessionId);
    this.sql.exec("UPDATE seats SET last_seen_at = ? WHERE seat_id = ?", now, seatId);
  }

  touchSeat(seatId: string, now: number): void {
    this.sql.exec("UPDATE seats SET last_seen_at = ? WHERE seat_id = ?", now, seatId);
  }

  /** Ends one session; the seat ends with its last session. Returns the seat as it now is. */
  endSession(sessionId: string, seatId: string, reason: EndReason, now: number): SeatRow {
    this.sql.exec("UPDATE sessions SET ended_at = ?, end_reason = ? WHERE session_id = ?", now, reason, sessionId);
    this.writesSincePrune++;
    return this.sql
      .exec<SeatRow & Row>(
        `UPDATE seats SET sessions = sessions - 1, ended_at = CASE WHEN sessions = 1 THEN ? ELSE NULL END
         WHERE seat_id = ? RETURNING *`,
        now, seatId,
      )
      .one();
  }

  /** Ends every session of a seat and the seat. Returns how many sessions ended. */
  endSeat(seatId: string, reason: EndReason, now: number): number {
    const ended = this.sql.exec(
      "UPDATE sessions SET ended_at = ?, end_reason = ? WHERE seat_id = ? AND ended_at IS NULL RETURNING 1",
      now, reason, seatId,
    ).toArray().length;
    this.sql.exec("UPDATE seats SET sessions = 0, ended_at = ? WHERE seat_id = ?", now, seatId);
    this.writesSincePrune++;
    return ended;
  }

  /** Ends every active session and seat of the pool. Returns how many sessions ended. */
  endAll(reason: EndReason, now: number): number {
    const ended = this.sql.exec("UPDATE sessions SET ended_at = ?, end_reason = ? WHERE ended_at IS NULL RETURNING 1", now, reason).toArray().length;
    this.sql.exec("UPDATE seats SET sessions = 0, ended_at = ? WHERE ended_at IS NULL", now);
    this.writesSincePrune++;
    return ended;
  }

  staleSeats(lastSeenBefore: number, limit: number): SeatRow[] {
    return this.sql
      .exec<SeatRow & Row>("SELECT * FROM seats WHERE ended_at IS NULL AND last_seen_at <= ? ORDER BY last_seen_at LIMIT ?", lastSeenBefore, limit)
      .toArray();
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
    return this.sql
      .exec<SeatRow & Row>(
        `SELECT * FROM seats WHERE ended_at IS NULL AND seat_id > ? ${match === undefined ? "" : "AND identity LIKE ? ESCAPE '\\'"}
         ORDER BY seat_id LIMIT ?`,
        ...(match === undefined ? [after ?? "", limit] : [after ?? "", match, limit]),
      )
      .toArray();
  }

  countActiveSeatsMatching(match: string): number {
    return this.first<{ n: number }>("SELECT COUNT(*) AS n FROM seats WHERE ended_at IS NULL AND identity LIKE ? ESCAPE '\\'", match)!.n;
  }

  /** The active sessions of some seats, oldest first (the `sessions_active_seat` index, per seat). */
  activeSessionsOf(seatIds: string[]): SessionRow[] {
    const out: SessionRow[] = [];
    for (const id of seatIds) {
      out.push(...this.sql.exec<SessionRow & Row>("SELECT * FROM sessions WHERE seat_id = ? AND ended_at IS NULL ORDER BY started_at", id));
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
    this.sql.exec(
      `INSERT INTO events (at, type, actor, seat_id, session_id, user, machine, terminal_session, details)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      now, e.type, e.actor ?? null, e.seatId ?? null, e.sessionId ?? null, e.user ?? null, e.machine ?? null,
      e.terminalSession ?? null, e.details ? JSON.stringify(e.details) : null,
    );
    if (++this.writesSincePrune >= PRUNE_EVERY) this.prune(now);
  }

  /** Counts one more of an aggregated event: the first of its key is inserted with `count: 1`. Returns true for a new row. */
  countEvent(now: number, e: AggregatedEventInput): boolean {
    const bumped = this.sql.exec(
      `UPDATE events SET details = json_set(details, '$.count', json_extract(details, '$.count') + 1, '$.lastAt', ?)
       WHERE agg_key = ? RETURNING 1`,
      new Date(now).toISOString(), e.key,
    ).toArray().length;
    if (bumped > 0) return false;
    this.sql.exec(
      `INSERT INTO events (at, type, actor, seat_id, session_id, user, machine, terminal_session, details, agg_key)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      now, e.type, e.actor ?? null, e.seatId ?? null, e.sessionId ?? null, e.user ?? null, e.machine ?? null,
      e.terminalSession ?? null, JSON.stringify({ ...e.details, count: 1 }), e.key,
    );
    if (++this.writesSincePrune >= PRUNE_EVERY) this.prune(now);
    return true;
  }

  /** A page of events, newest first, before the event id `before`. */
  events(limit: number, before: number | undefined): EventRow[] {
    return this.sql
      .exec<EventRow & Row>("SELECT * FROM events WHERE id < ? ORDER BY id DESC LIMIT ?", before ?? Number.MAX_SAFE_INTEGER, limit)
      .toArray();
  }

  // ---- usage ---------------------------------------------------------------

  /** O(1) per change: one upsert into the hour's bucket. */
  recordUsage(now: number, before: number, after: number, checkouts: number, denials: number): void {
    this.sql.exec(
      `INSERT INTO usage_hours (hour, peak_in_use, last_in_use, checkouts, denials) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (hour) DO UPDATE SET peak_in_use = max(peak_in_use, excluded.peak_in_use),
         last_in_use = excluded.last_in_use, checkouts = checkouts + excluded.checkouts,
         denials = denials + excluded.denials`,
      Math.floor(now / HOUR) * HOUR, Math.max(before, after), after, checkouts, denials,
    );
  }

  /** The hours that saw a change, from `start` (inclusive) to `end` (exclusive), oldest first. */
  usageHours(start: number, end: number): UsageRow[] {
    return this.sql.exec<UsageRow & Row>("SELECT * FROM usage_hours WHERE hour >= ? AND hour < ? ORDER BY hour", start, end).toArray();
  }

  /** Seats in use at the end of the last hour that saw a change before `start`: the level quiet hours carry. */
  levelBefore(start: number): number {
    return this.first<{ last_in_use: number }>("SELECT last_in_use FROM usage_hours WHERE hour < ? ORDER BY hour DESC LIMIT 1", start)?.last_in_use ?? 0;
  }

  // ---- timers --------------------------------------------------------------

  timer(kind: string, key: string): TimerRow | undefined {
    return this.first<TimerRow & Row>("SELECT * FROM timers WHERE kind = ? AND key = ?", kind, key);
  }

  setTimer(t: TimerRow): void {
    this.sql.exec(
      "INSERT INTO timers (kind, key, due_at) VALUES (?, ?, ?) ON CONFLICT (kind, key) DO UPDATE SET due_at = excluded.due_at",
      t.kind, t.key, t.due_at,
    );
  }

  deleteTimer(kind: string, key: string): void {
    this.sql.exec("DELETE FROM timers WHERE kind = ? AND key = ?", kind, key);
  }

  dueTimers(now: number, limit: number): TimerRow[] {
    return this.sql.exec<TimerRow & Row>("SELECT * FROM timers WHERE due_at <= ? ORDER BY due_at LIMIT ?", now, limit).toArray();
  }

  earliestTimer(): number | null {
    return this.first<{ t: number | null }>("SELECT MIN(due_at) AS t FROM timers")?.t ?? null;
  }

  // ---- bounds --------------------------------------------------------------

  /** Keeps storage bounded: the newest events, recent ended sessions, a year of usage. */
  prune(now: number): void {
    this.writesSincePrune = 0;
    // each class keeps its newest: a flood of failed authentications never pushes out who used the seats
    this.sql.exec(
      `DELETE FROM events WHERE agg_key IS NULL AND id <= (SELECT id FROM events WHERE agg_key IS NULL ORDER BY id DESC LIMIT 1 OFFSET ?)`,
      EVENTS_CAP,
    );
    this.sql.exec(
      `DELETE FROM events WHERE agg_key IS NOT NULL AND id <= (SELECT id FROM events WHERE agg_key IS NOT NULL ORDER BY id DESC LIMIT 1 OFFSET ?)`,
      SECURITY_EVENTS_CAP,
    );
    const cutoff = now - ENDED_RETENTION_MS;
    this.sql.exec(
      `DELETE FROM sessions WHERE session_id IN (SELECT session_id FROM sessions WHERE ended_at IS NOT NULL
         AND (ended_at < ? OR ended_at <= (SELECT ended_at FROM sessions WHERE ended_at IS NOT NULL ORDER BY ended_at DESC LIMIT 1 OFFSET ?))
         LIMIT 5000)`,
      cutoff, ENDED_CAP,
    );
    this.sql.exec(
      `DELETE FROM seats WHERE seat_id IN (SELECT seat_id FROM seats WHERE ended_at IS NOT NULL
         AND (ended_at < ? OR ended_at <= (SELECT ended_at FROM seats WHERE ended_at IS NOT NULL ORDER BY ended_at DESC LIMIT 1 OFFSET ?))
         LIMIT 5000)`,
      cutoff, ENDED_CAP,
    );
    this.sql.exec("DELETE FROM usage_hours WHERE hour < ?", now - USAGE_RETENTION_MS);
  }
}
