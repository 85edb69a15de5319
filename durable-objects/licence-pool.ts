/**
 * One LicencePool object per customer pool: the unit of atomicity. Each RPC method
 * reads, decides and writes synchronously (no `await` in between), so two checkouts
 * can never both take the last seat. Hashing, validation and token signing happen in
 * the Worker; this object compares hashes, decides and writes.
 */
import { DurableObject } from "cloudflare:workers";
import type { EndReason } from "../src/contract/errors.js";
import type { PoolSummary, Seat, UsageBucket } from "../src/contract/schemas.js";
import { decideSeat, digestsEqual, identityKey, judgeCredentials, roleMay, versionAllowed, type AdminAction } from "./decisions.js";
import { hasSchema, poolMigrations, runMigrations } from "./migrations.js";
import { failure, type Actor, type Failure, type Outcome } from "./outcome.js";
import { PoolStore, type PoolRow, type SeatRow, type StoredEvent } from "./pool-store.js";

const HOUR = 3_600_000;
const ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

function randomId(prefix: string, length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let out = prefix;
  for (const b of bytes) out += ID_ALPHABET[b & 31];
  return out;
}

export interface CreatePoolInput {
  poolId: string;
  customer: string;
  seats: number;
  minClientVersion: string | null;
  staleAfterHours: number | null;
  keyHash: string;
  adminKeyHash: string;
}

export interface PoolState {
  poolId: string;
  customer: string;
  seats: number;
  inUse: number;
  generation: number;
  minClientVersion: string | null;
  staleAfterHours: number | null;
  createdAt: string;
}

export interface CheckoutInput {
  generation: number;
  keyHash: string;
  user: string;
  machine: string;
  terminalSession?: string;
  clientVersion?: string;
  instance?: string;
}

export interface CheckoutGrant {
  created: boolean;
  sessionId: string;
  seatId: string;
  seatShared: boolean;
  user: string;
  machine: string;
  terminalSession: string | null;
  pool: PoolSummary;
}

export interface SessionView {
  sessionId: string;
  seatId: string;
  user: string;
  machine: string;
  terminalSession: string | null;
  clientVersion: string | null;
  startedAt: string;
  lastSeenAt: string;
  active: boolean;
  endedAt: string | null;
  reason: EndReason | null;
}

export interface PoolPatch {
  seats?: number;
  customer?: string;
  minClientVersion?: string | null;
  staleAfterHours?: number | null;
}

const iso = (ms: number) => new Date(ms).toISOString();
const actorName = (a: Actor) => a.label ?? (a.role === "vendor" ? "vendor" : "pool admin");

export class LicencePool extends DurableObject<object> {
  private readonly store: PoolStore;
  private pool: PoolRow | undefined;
  private alarmAt: number | null = null;

  constructor(ctx: DurableObjectState, env: object) {
    super(ctx, env);
    this.store = new PoolStore(ctx.storage.sql);
    // An object that was never created writes nothing: probing random pool ids leaves no trace.
    if (hasSchema(ctx.storage)) this.load();
  }

  private load(): void {
    runMigrations(this.ctx.storage, poolMigrations);
    this.pool = this.store.readPool();
    void this.ctx.blockConcurrencyWhile(async () => {
      this.alarmAt = await this.ctx.storage.getAlarm();
    });
  }

  /** One synchronous transaction; if it throws, the cached pool row is re-read so memory never runs ahead of disk. */
  private transaction<T>(fn: () => T): T {
    try {
      return this.ctx.storage.transactionSync(fn);
    } catch (e) {
      this.pool = this.store.readPool();
      throw e;
    }
  }

  private summary(p: PoolRow): PoolSummary {
    return { poolId: p.pool_id, seats: p.seats, inUse: p.in_use };
  }

  private state(p: PoolRow): PoolState {
    return {
      poolId: p.pool_id,
      customer: p.customer,
      seats: p.seats,
      inUse: p.in_use,
      generation: p.generation,
      minClientVersion: p.min_client_version,
      staleAfterHours: p.stale_after_hours,
      createdAt: iso(p.created_at),
    };
  }

  private setInUse(p: PoolRow, now: number, inUse: number, checkouts: number, denials: number): void {
    const before = p.in_use;
    p.in_use = inUse;
    if (inUse !== before) this.store.writeInUse(inUse);
    this.store.recordUsage(now, before, inUse, checkouts, denials);
  }

  // ---- creation --------------------------------------------------------------

  create(input: CreatePoolInput): Outcome<{ pool: PoolState }> {
    if (this.pool) return failure("invalid_request", "A pool with this id exists already.");
    runMigrations(this.ctx.storage, poolMigrations);
    const now = Date.now();
    const row: PoolRow = {
      pool_id: input.poolId,
      customer: input.customer,
      seats: input.seats,
      in_use: 0,
      min_client_version: input.minClientVersion,
      stale_after_hours: input.staleAfterHours,
      generation: 1,
      key_hash: input.keyHash,
      admin_key_hash: input.adminKeyHash,
      created_at: now,
    };
    this.transaction(() => {
      this.store.insertPool(row);
      this.store.logEvent(now, { type: "pool_created", actor: "vendor", details: { customer: row.customer, seats: row.seats } });
    });
    this.pool = row;
    return { ok: true, pool: this.state(row) };
  }

  // ---- client API ------------------------------------------------------------

  async checkout(input: CheckoutInput): Promise<Outcome<CheckoutGrant>> {
    const p = this.pool;
    if (!p) return failure("invalid_credentials", "The serial number or product key is not valid.");
    const now = Date.now();
    const tsn = input.terminalSession ?? null;
    const who = { user: input.user, machine: input.machine, terminalSession: tsn };
    const result = this.transaction((): Outcome<CheckoutGrant> => {
      const verdict = judgeCredentials(
        { generation: p.generation, keyHash: p.key_hash },
        { generation: input.generation, keyHash: input.keyHash },
        (g) => this.store.keyHashOfGeneration(g),
      );
      if (verdict === "invalid") {
        this.store.logEvent(now, { type: "auth_failed", ...who, details: { reason: "bad_product_key", generation: input.generation } });
        return failure("invalid_credentials", "The serial number or product key is not valid. Check both with your IT department.");
      }
      if (verdict === "revoked") {
        this.store.logEvent(now, { type: "denied", ...who, details: { reason: "credentials_revoked", generation: input.generation } });
        return failure(
          "credentials_revoked",
          "This serial number and product key were replaced. Ask your IT department for the new serial number and product key.",
        );
      }
      if (!versionAllowed(p.min_client_version, input.clientVersion)) {
        this.store.logEvent(now, { type: "denied", ...who, details: { reason: "client_version", clientVersion: input.clientVersion ?? null } });
        return failure(
          "client_version_unsupported",
          input.clientVersion === undefined
            ? `This pool needs client version ${p.min_client_version} or later, and the client did not say its version.`
            : `This pool needs client version ${p.min_client_version} or later; this is ${input.clientVersion}. Update the application.`,
          { minClientVersion: p.min_client_version, clientVersion: input.clientVersion ?? null },
        );
      }
      const identity = identityKey(input.user, input.machine, tsn);
      if (input.instance !== undefined) {
        const earlier = this.store.sessionByInstance(input.instance);
        if (earlier) {
          if (earlier.identity !== identity) {
            return failure("invalid_request", "This instance id belongs to another user's session; send a fresh one.", {
              issues: [{ path: "instance", message: "already used by another identity" }],
            });
          }
          if (earlier.ended_at === null) {
            const seat = this.store.seatById(earlier.seat_id)!;
            return {
              ok: true,
              created: false,
              sessionId: earlier.session_id,
              seatId: seat.seat_id,
              seatShared: seat.sessions > 1,
              user: seat.user,
              machine: seat.machine,
              terminalSession: seat.terminal_session,
              pool: this.summary(p),
            };
          }
          this.store.forgetInstance(earlier.session_id);
        }
      }
      const held = this.store.activeSeatOf(identity);
      const seatVerdict = decideSeat(held !== undefined, p.in_use, p.seats);
      if (seatVerdict === "full") {
        this.store.logEvent(now, { type: "denied", ...who, details: { reason: "pool_full", seats: p.seats, inUse: p.in_use } });
        this.store.recordUsage(now, p.in_use, p.in_use, 0, 1);
        return failure("pool_full", `All ${p.seats} seats of this pool are in use.`, { seats: p.seats, inUse: p.in_use });
      }
      const sessionId = randomId("ses_", 22);
      let seatId: string;
      if (held) {
        seatId = held.seat_id;
        this.store.joinSeat(seatId, now);
      } else {
        seatId = randomId("seat_", 14);
        this.store.insertSeat({ seat_id: seatId, identity, ...whoRow(who), since: now, last_seen_at: now, sessions: 1 });
      }
      this.store.insertSession({
        session_id: sessionId,
        seat_id: seatId,
        instance: input.instance ?? null,
        client_version: input.clientVersion ?? null,
        started_at: now,
        last_seen_at: now,
      });
      this.setInUse(p, now, held ? p.in_use : p.in_use + 1, 1, 0);
      this.store.logEvent(now, {
        type: "checkout", seatId, sessionId, ...who,
        details: { seatShared: held !== undefined, clientVersion: input.clientVersion ?? null },
      });
      return { ok: true, created: true, sessionId, seatId, seatShared: held !== undefined, ...who, pool: this.summary(p) };
    });
    if (result.ok && result.created && p.stale_after_hours !== null && this.alarmAt === null) {
      await this.scheduleExpiry();
    }
    return result;
  }

  release(sessionId: string, seatId: string): Outcome<{ released: boolean; seatFreed?: boolean; reason?: EndReason; pool: PoolSummary }> {
    const p = this.pool;
    if (!p) return failure("invalid_token", "The token does not belong to a session of this service.");
    const now = Date.now();
    return this.transaction(() => {
      const s = this.store.session(sessionId);
      if (!s) return { ok: true, released: false, reason: "expired" as const, pool: this.summary(p) };
      if (s.seat_id !== seatId) return failure("invalid_token", "The token does not belong to this session.");
      if (s.ended_at !== null) return { ok: true, released: false, reason: s.end_reason!, pool: this.summary(p) };
      const seat = this.store.endSession(sessionId, s.seat_id, "released", now);
      const seatFreed = seat.ended_at !== null;
      this.setInUse(p, now, seatFreed ? p.in_use - 1 : p.in_use, 0, 0);
      this.store.logEvent(now, { type: "release", seatId: seat.seat_id, sessionId, ...seatWho(seat), details: { seatFreed } });
      return { ok: true, released: true, seatFreed, pool: this.summary(p) };
    });
  }

  heartbeat(sessionId: string, seatId: string): Outcome<{ active: true; pool: PoolSummary }> {
    const p = this.pool;
    if (!p) return failure("invalid_token", "The token does not belong to a session of this service.");
    const s = this.store.session(sessionId);
    const ended = this.endedFailure(s, seatId);
    if (ended) return ended;
    this.store.touchSession(sessionId, seatId, Date.now());
    return { ok: true, active: true, pool: this.summary(p) };
  }

  status(sessionId: string, seatId: string): Outcome<{ session: SessionView }> {
    if (!this.pool) return failure("invalid_token", "The token does not belong to a session of this service.");
    const s = this.store.session(sessionId);
    if (!s) return failure("session_ended", "This session has ended and its record has expired.", { reason: "expired" });
    if (s.seat_id !== seatId) return failure("invalid_token", "The token does not belong to this session.");
    const seat = this.store.seatById(s.seat_id)!;
    return {
      ok: true,
      session: {
        sessionId: s.session_id,
        seatId: s.seat_id,
        user: seat.user,
        machine: seat.machine,
        terminalSession: seat.terminal_session,
        clientVersion: s.client_version,
        startedAt: iso(s.started_at),
        lastSeenAt: iso(s.last_seen_at),
        active: s.ended_at === null,
        endedAt: s.ended_at === null ? null : iso(s.ended_at),
        reason: s.end_reason,
      },
    };
  }

  private endedFailure(s: { seat_id: string; ended_at: number | null; end_reason: EndReason | null } | undefined, seatId: string): Failure | undefined {
    if (!s) return failure("session_ended", "This session has ended and its record has expired.", { reason: "expired" });
    if (s.seat_id !== seatId) return failure("invalid_token", "The token does not belong to this session.");
    if (s.ended_at !== null) return failure("session_ended", endedMessage(s.end_reason!), { reason: s.end_reason });
    return undefined;
  }

  // ---- admin API -------------------------------------------------------------

  /** Checks the actor against this pool (the admin key's hash) and the action against its role. */
  private authorise(actor: Actor, action: AdminAction): { pool: PoolRow } | Failure {
    const p = this.pool;
    if (!p) return failure("not_found", "No such pool.");
    if (actor.role === "admin" && !digestsEqual(actor.keyHash, p.admin_key_hash)) {
      this.store.logEvent(Date.now(), { type: "auth_failed", details: { reason: "bad_admin_key" } });
      return failure("unauthorized", "The admin key is not valid for this pool.");
    }
    if (!roleMay(actor.role, action)) {
      return failure("forbidden", "Only the vendor can change the number of seats; ask your vendor's sales team for more seats.");
    }
    return { pool: p };
  }

  /** A bad vendor token or garbage credential presented on this pool's admin endpoints. */
  recordAuthFailure(reason: "bad_vendor_token"): void {
    if (this.pool) this.store.logEvent(Date.now(), { type: "auth_failed", details: { reason } });
  }

  getPool(actor: Actor): Outcome<{ pool: PoolState }> {
    const a = this.authorise(actor, "read");
    return "ok" in a ? a : { ok: true, pool: this.state(a.pool) };
  }

  /** The vendor's directory listing asks each pool for its live figures. */
  summaryForVendor(): PoolState | null {
    return this.pool ? this.state(this.pool) : null;
  }

  listSeats(actor: Actor): Outcome<{ seats: Seat[] }> {
    const a = this.authorise(actor, "read");
    return "ok" in a ? a : { ok: true, seats: this.store.listSeats() };
  }

  async updatePool(actor: Actor, patch: PoolPatch): Promise<Outcome<{ pool: PoolState }>> {
    const a = this.authorise(actor, patch.seats !== undefined ? "update_seats" : "update");
    if ("ok" in a) return a;
    const p = a.pool;
    const now = Date.now();
    const changes: Record<string, { from: unknown; to: unknown }> = {};
    const next: PoolRow = { ...p };
    if (patch.seats !== undefined) next.seats = patch.seats;
    if (patch.customer !== undefined) next.customer = patch.customer;
    if (patch.minClientVersion !== undefined) next.min_client_version = patch.minClientVersion;
    if (patch.staleAfterHours !== undefined) next.stale_after_hours = patch.staleAfterHours;
    for (const [field, column] of [
      ["seats", "seats"], ["customer", "customer"], ["minClientVersion", "min_client_version"], ["staleAfterHours", "stale_after_hours"],
    ] as const) {
      if (next[column] !== p[column]) changes[field] = { from: p[column], to: next[column] };
    }
    this.transaction(() => {
      this.store.writeSettings(next);
      this.store.logEvent(now, { type: "pool_updated", actor: actorName(actor), details: changes });
    });
    Object.assign(p, next);
    if ("staleAfterHours" in changes) await this.scheduleExpiry();
    return { ok: true, pool: this.state(p) };
  }

  freeSeat(actor: Actor, seatId: string): Outcome<{ pool: PoolSummary; sessionsEnded: number }> {
    const a = this.authorise(actor, "free");
    if ("ok" in a) return a;
    const p = a.pool;
    const now = Date.now();
    return this.transaction(() => {
      const seat = this.store.activeSeat(seatId);
      if (!seat) return failure("not_found", "No seat with this id is in use in this pool.");
      const sessionsEnded = this.store.endSeat(seatId, "freed", now);
      this.setInUse(p, now, p.in_use - 1, 0, 0);
      this.store.logEvent(now, { type: "freed", actor: actorName(actor), seatId, ...seatWho(seat), details: { sessionsEnded } });
      return { ok: true, pool: this.summary(p), sessionsEnded };
    });
  }

  rotateCredentials(actor: Actor, keyHash: string, endSessions: boolean): Outcome<{ generation: number; sessionsEnded: number }> {
    const a = this.authorise(actor, "rotate_credentials");
    if ("ok" in a) return a;
    const p = a.pool;
    const now = Date.now();
    return this.transaction(() => {
      const generation = p.generation + 1;
      this.store.writeCredentials(generation, keyHash, now);
      let sessionsEnded = 0;
      if (endSessions) {
        sessionsEnded = this.store.endAll("revoked", now);
        this.setInUse(p, now, 0, 0, 0);
        this.store.logEvent(now, { type: "revoked", actor: actorName(actor), details: { sessionsEnded } });
      }
      this.store.logEvent(now, { type: "credentials_rotated", actor: actorName(actor), details: { generation, endSessions } });
      p.generation = generation;
      p.key_hash = keyHash;
      return { ok: true, generation, sessionsEnded };
    });
  }

  rotateAdminKey(actor: Actor, adminKeyHash: string): Outcome<{ rotated: true }> {
    const a = this.authorise(actor, "rotate_admin_key");
    if ("ok" in a) return a;
    const now = Date.now();
    this.transaction(() => {
      this.store.writeAdminKeyHash(adminKeyHash);
      this.store.logEvent(now, { type: "admin_key_rotated", actor: actorName(actor) });
    });
    a.pool.admin_key_hash = adminKeyHash;
    return { ok: true, rotated: true };
  }

  events(actor: Actor, limit: number, before: number | undefined): Outcome<{ events: StoredEvent[]; next: string | null }> {
    const a = this.authorise(actor, "read");
    return "ok" in a ? a : { ok: true, ...this.store.events(limit, before) };
  }

  usage(actor: Actor, from: number, to: number, bucket: "hour" | "day"): Outcome<{ buckets: UsageBucket[] }> {
    const a = this.authorise(actor, "read");
    return "ok" in a ? a : { ok: true, buckets: this.store.usage(from, to, bucket) };
  }

  // ---- stale seats -------------------------------------------------------------

  /** Sets the alarm to the next seat expiry, or clears it; the same answer however often it runs. */
  private async scheduleExpiry(): Promise<void> {
    const p = this.pool;
    const oldest = p?.stale_after_hours ? this.store.oldestActiveLastSeen() : null;
    const at = oldest === null || !p?.stale_after_hours ? null : oldest + p.stale_after_hours * HOUR;
    if (at === this.alarmAt) return;
    this.alarmAt = at;
    if (at === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(at);
  }

  override async alarm(): Promise<void> {
    this.alarmAt = null;
    const p = this.pool;
    if (!p || !p.stale_after_hours) return;
    const now = Date.now();
    const cutoff = now - p.stale_after_hours * HOUR;
    this.transaction(() => {
      for (const seat of this.store.staleSeats(cutoff, 1000)) {
        const sessionsEnded = this.store.endSeat(seat.seat_id, "expired", now);
        this.setInUse(p, now, p.in_use - 1, 0, 0);
        this.store.logEvent(now, {
          type: "expired", seatId: seat.seat_id, ...seatWho(seat),
          details: { sessionsEnded, lastSeenAt: iso(seat.last_seen_at), staleAfterHours: p.stale_after_hours },
        });
      }
    });
    await this.scheduleExpiry();
  }

  /** For tests and operators: the counters against a recount of the rows. */
  audit(): { inUse: number; activeSeats: number; activeSessions: number } | null {
    if (!this.pool) return null;
    const c = this.store.countActive();
    return { inUse: this.pool.in_use, activeSeats: c.seats, activeSessions: c.sessions };
  }
}

function whoRow(who: { user: string; machine: string; terminalSession: string | null }) {
  return { user: who.user, machine: who.machine, terminal_session: who.terminalSession };
}

function seatWho(seat: SeatRow) {
  return { user: seat.user, machine: seat.machine, terminalSession: seat.terminal_session };
}

function endedMessage(reason: EndReason): string {
  switch (reason) {
    case "released": return "This session was released.";
    case "freed": return "An administrator freed this seat. Start the application again to take a seat.";
    case "revoked": return "The pool's serial number and product key were revoked; this session ended. Ask your IT department for the new pair.";
    case "expired": return "This session expired after going too long without a heartbeat.";
  }
}
