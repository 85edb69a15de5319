/**
 * One LicencePool object per customer pool: the unit of atomicity, and a thin RPC face.
 * Each method authorises, runs one synchronous transaction that calls the rooms (the
 * checkout plan, the seat ledger, stale expiry, the timers) and answers plain data; no
 * `await` between a read and the write it decides, so two checkouts can never both take
 * the last seat. Hashing, validation and token signing happen in the Worker.
 */
import { DurableObject } from "cloudflare:workers";
import { planCheckout } from "./checkout-plan.js";
import { eventPage, poolState, poolSummary, seatIdentity, seatList, sessionView, usageReport } from "./contract-shapes.js";
import { roleMay, type AdminAction } from "./decisions.js";
import { digestsEqual } from "./constant-time.js";
import { messages } from "../src/contract/messages.js";
import { hasSchema, poolMigrations, runMigrations } from "./migrations.js";
import { failure, type Actor, type Failure, type Outcome } from "./outcome.js";
import { applyPatch } from "./pool-settings.js";
import { PoolStore, type PoolRow, type SessionRow } from "./pool-store.js";
import type { AuthFailure, CheckoutGrant, CheckoutInput, CreatePoolInput, PoolPatch, PoolState, SessionView, StoredEvent } from "./rpc-types.js";
import { SeatLedger } from "./seat-ledger.js";
import { seatPage, type SeatsPage } from "./seat-list.js";
import { LiveChannel, type LiveAttachment } from "./live-channel.js";
import { StaleExpiry } from "./stale-expiry.js";
import { Timers } from "./timers.js";
import { Webhooks, type NewWebhook } from "./webhooks.js";
import { adviseSeats, type SeatAdvice } from "./seat-advice.js";
import type { EndReason } from "../src/contract/errors.js";
import { DAY, MINUTE } from "../src/contract/time.js";
import type { Delivery, PoolSummary, Seat, UsageBucket, Webhook } from "../src/contract/schemas.js";

/** Who held a seat, as events and answers name them. */
export type SeatHolder = ReturnType<typeof seatIdentity>;

const actorName = (a: Actor) => a.label ?? (a.role === "vendor" ? "vendor" : "pool admin");

export class LicencePool extends DurableObject<object> {
  private readonly store: PoolStore;
  private readonly ledger: SeatLedger;
  private readonly timers: Timers;
  private readonly stale: StaleExpiry;
  private readonly live: LiveChannel;
  private readonly webhooks: Webhooks;
  private pool: PoolRow | undefined;

  constructor(ctx: DurableObjectState, env: object) {
    super(ctx, env);
    this.store = new PoolStore(ctx.storage.sql);
    this.timers = new Timers(this.store, ctx.storage);
    this.webhooks = new Webhooks(ctx.storage.sql, this.timers);
    this.ledger = new SeatLedger(this.store, this.webhooks);
    this.live = new LiveChannel(ctx);
    this.stale = new StaleExpiry(this.store, this.ledger, this.timers, (seatId) => this.live.connected(seatId));
    // An object that was never created writes nothing: probing random pool ids leaves no trace.
    if (hasSchema(ctx.storage)) this.load();
  }

  private load(): void {
    runMigrations(this.ctx.storage, poolMigrations);
    this.pool = this.store.readPool();
    this.webhooks.load();
    void this.ctx.blockConcurrencyWhile(() => this.timers.load());
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

  // ---- creation --------------------------------------------------------------

  create(input: CreatePoolInput): Outcome<{ pool: PoolState }> {
    if (this.pool) return failure("invalid_request", messages.poolExists);
    runMigrations(this.ctx.storage, poolMigrations);
    this.webhooks.load();
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
      max_sessions_per_seat: input.maxSessionsPerSeat,
      max_addresses_per_seat: input.maxAddressesPerSeat,
      refuse_widely_shared_seats: input.refuseWidelySharedSeats ? 1 : 0,
      alert_threshold_percent: 90, // the column's default; changed by PATCH
    };
    this.transaction(() => {
      this.store.insertPool(row);
      this.store.logEvent(now, { type: "pool_created", actor: "vendor", details: { customer: row.customer, seats: row.seats } });
    });
    this.pool = row;
    return { ok: true, pool: poolState(row) };
  }

  // ---- client API ------------------------------------------------------------

  async checkout(input: CheckoutInput): Promise<Outcome<CheckoutGrant>> {
    const p = this.pool;
    if (!p) return failure("invalid_credentials", messages.badCredentials);
    const now = Date.now();
    const result = this.transaction((): Outcome<CheckoutGrant> => {
      const plan = planCheckout(input, p, this.store);
      if (plan.kind === "refuse") {
        this.ledger.refuse(p, plan, input, now);
        return plan.failure;
      }
      const grant = this.ledger.grant(p, plan, input, now);
      if (plan.kind === "take") this.stale.seatTaken(p);
      return { ok: true, ...grant };
    });
    await this.timers.syncAlarm();
    return result;
  }

  release(sessionId: string, seatId: string): Outcome<{ released: boolean; seatFreed?: boolean; reason?: EndReason; pool: PoolSummary }> {
    const p = this.pool;
    if (!p) return failure("invalid_token", messages.tokenForeign);
    const now = Date.now();
    const out = this.transaction(() => {
      const s = this.store.session(sessionId);
      if (!s) return { ok: true as const, released: false, reason: "expired" as const, pool: poolSummary(p) };
      if (s.seat_id !== seatId) return failure("invalid_token", messages.tokenOtherSession);
      if (s.ended_at !== null) return { ok: true as const, released: false, reason: s.end_reason!, pool: poolSummary(p) };
      const { seatFreed } = this.ledger.release(p, sessionId, s.seat_id, now);
      return { ok: true as const, released: true, seatFreed, pool: poolSummary(p) };
    });
    if (out.ok && out.released) this.live.ended("released", sessionId);
    return out;
  }

  heartbeat(sessionId: string, seatId: string): Outcome<{ active: true; pool: PoolSummary }> {
    const p = this.pool;
    if (!p) return failure("invalid_token", messages.tokenForeign);
    const ended = this.endedFailure(this.store.session(sessionId), seatId);
    if (ended) return ended;
    this.store.touchSession(sessionId, seatId, Date.now());
    return { ok: true, active: true, pool: poolSummary(p) };
  }

  status(sessionId: string, seatId: string): Outcome<{ session: SessionView }> {
    if (!this.pool) return failure("invalid_token", messages.tokenForeign);
    const s = this.store.session(sessionId);
    if (!s) return failure("session_ended", messages.sessionGone, { reason: "expired" });
    if (s.seat_id !== seatId) return failure("invalid_token", messages.tokenOtherSession);
    return { ok: true, session: sessionView(s, this.store.seatById(s.seat_id)!) };
  }

  private endedFailure(s: SessionRow | undefined, seatId: string): Failure | undefined {
    if (!s) return failure("session_ended", messages.sessionGone, { reason: "expired" });
    if (s.seat_id !== seatId) return failure("invalid_token", messages.tokenOtherSession);
    if (s.ended_at !== null) return failure("session_ended", messages.sessionEnded(s.end_reason!), { reason: s.end_reason });
    return undefined;
  }

  // ---- admin API -------------------------------------------------------------

  /** Checks the actor against this pool (the admin key's hash) and the action against its role. */
  private authorise(actor: Actor, action: AdminAction): { pool: PoolRow } | Failure {
    const p = this.pool;
    if (!p) return { ...failure("not_found", messages.noSuchPool), resource: "pool" };
    // a wrong key writes nothing here: the Worker asks the failure limiter, then `recordAuthFailure`
    if (actor.role === "admin" && !digestsEqual(actor.keyHash, p.admin_key_hash)) return failure("unauthorized", messages.badAdminKey);
    if (!roleMay(actor.role, action)) return failure("forbidden", messages.seatsAreTheVendors);
    return { pool: p };
  }

  /**
   * A failed authentication on this pool that the failure limiter let through: one
   * `auth_failed` event per client address and minute, counting them. An address over the
   * limit never gets here, so a flood writes nothing.
   */
  recordAuthFailure(f: AuthFailure): void {
    if (!this.pool) return;
    const now = Date.now();
    const details = f.generation === undefined ? { reason: f.reason } : { reason: f.reason, generation: f.generation };
    this.store.countEvent(now, { type: "auth_failed", ...f.who, details, key: `auth_failed:${Math.floor(now / MINUTE)}:${f.address}` });
  }

  getPool(actor: Actor): Outcome<{ pool: PoolState }> {
    const a = this.authorise(actor, "read");
    return "ok" in a ? a : { ok: true, pool: poolState(a.pool) };
  }

  /** The vendor's directory listing asks each pool for its live figures. */
  summaryForVendor(): PoolState | null {
    return this.pool ? poolState(this.pool) : null;
  }

  /** A page of the seats in use, oldest first, optionally those whose user or machine contains `q` (compared as names are). */
  listSeats(actor: Actor, page: SeatsPage = {}): Outcome<{ seats: Seat[]; next: string | null; total: number }> {
    const a = this.authorise(actor, "read");
    return "ok" in a ? a : { ok: true, ...seatPage(this.store, a.pool, page) };
  }

  async updatePool(actor: Actor, patch: PoolPatch): Promise<Outcome<{ pool: PoolState }>> {
    const a = this.authorise(actor, patch.seats !== undefined ? "update_seats" : "update");
    if ("ok" in a) return a;
    const p = a.pool;
    const now = Date.now();
    const { next, changes } = applyPatch(p, patch);
    this.transaction(() => {
      this.store.writeSettings(next);
      this.store.logEvent(now, { type: "pool_updated", actor: actorName(actor), details: changes });
      Object.assign(p, next);
      if (changes.staleAfterHours) this.stale.reschedule(p);
    });
    await this.timers.syncAlarm();
    return { ok: true, pool: poolState(p) };
  }

  /** One seat in use, by id: the dashboard's confirmation names it without listing the pool. */
  seat(actor: Actor, seatId: string): Outcome<{ seat: Seat }> {
    const a = this.authorise(actor, "read");
    if ("ok" in a) return a;
    const row = this.store.activeSeat(seatId);
    if (!row) return { ...failure("not_found", messages.noSuchSeat), resource: "seat" };
    return { ok: true, seat: seatList([row], this.store.activeSessionsOf([row.seat_id]))[0]! };
  }

  /** Ends every session of a seat; answers whose seat it was, so the caller can say so without reading the log. */
  async freeSeat(actor: Actor, seatId: string): Promise<Outcome<{ pool: PoolSummary; sessionsEnded: number; holder: SeatHolder }>> {
    const a = this.authorise(actor, "free");
    if ("ok" in a) return a;
    const p = a.pool;
    const now = Date.now();
    const out = this.transaction(() => {
      const seat = this.store.activeSeat(seatId);
      if (!seat) return { ...failure("not_found", messages.noSuchSeat), resource: "seat" as const };
      const sessionsEnded = this.ledger.endSeat(p, seat, "freed", { type: "freed", actor: actorName(actor) }, now);
      return { ok: true as const, pool: poolSummary(p), sessionsEnded, holder: seatIdentity(seat) };
    });
    if (out.ok) this.live.ended("freed", seatId);
    await this.timers.syncAlarm(); // a seat.freed delivery may be due
    return out;
  }

  async rotateCredentials(actor: Actor, keyHash: string, endSessions: boolean): Promise<Outcome<{ generation: number; sessionsEnded: number }>> {
    const a = this.authorise(actor, "rotate_credentials");
    if ("ok" in a) return a;
    const p = a.pool;
    const now = Date.now();
    const out = this.transaction(() => {
      const generation = p.generation + 1;
      this.store.writeCredentials(generation, keyHash, now);
      let sessionsEnded = 0;
      if (endSessions) {
        sessionsEnded = this.ledger.endAll(p, "revoked", now);
        this.store.logEvent(now, { type: "revoked", actor: actorName(actor), details: { sessionsEnded } });
      }
      this.store.logEvent(now, { type: "credentials_rotated", actor: actorName(actor), details: { generation, endSessions } });
      this.webhooks.emit(p, "credentials.rotated", { generation, endSessions, sessionsEnded }, now);
      p.generation = generation;
      p.key_hash = keyHash;
      return { ok: true as const, generation, sessionsEnded };
    });
    if (endSessions) this.live.ended("revoked");
    await this.timers.syncAlarm(); // a credentials.rotated delivery may be due
    return out;
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
    return "ok" in a ? a : { ok: true, ...eventPage(this.store.events(limit, before), limit) };
  }

  /** Buckets from `from` to `to` (ms, inclusive), oldest first. */
  usage(actor: Actor, from: number, to: number, bucket: "hour" | "day"): Outcome<{ buckets: UsageBucket[] }> {
    const a = this.authorise(actor, "read");
    return "ok" in a ? a : { ok: true, buckets: usageReport(this.store, from, to, bucket) };
  }

  /** How many seats the pool should have, judged on the last `days` days of hourly usage. */
  advice(actor: Actor, days: number): Outcome<{ advice: SeatAdvice }> {
    const a = this.authorise(actor, "read");
    if ("ok" in a) return a;
    const now = Date.now();
    return { ok: true, advice: adviseSeats(a.pool.seats, days, usageReport(this.store, now - days * DAY + 1, now, "hour")) };
  }

  // ---- live channel ----------------------------------------------------------

  /** The live channel's upgrade, authenticated by the Worker: open for an active session, else its error. */
  override async fetch(request: Request): Promise<Response> {
    return this.live.open(request, (sessionId, seatId) => {
      const p = this.pool;
      if (!p) return failure("invalid_token", messages.tokenForeign);
      return this.endedFailure(this.store.session(sessionId), seatId) ?? { pool: poolSummary(p) };
    });
  }

  /** `idle` and `active` are for taking idle seats back for someone waiting (not yet built); other text is ignored. */
  override async webSocketMessage(): Promise<void> {}

  /** A channel that closes records when its client was last seen, once, for stale expiry. */
  override async webSocketClose(ws: WebSocket): Promise<void> {
    const a = ws.deserializeAttachment() as LiveAttachment | null;
    const s = a && this.store.session(a.sessionId);
    if (s && s.ended_at === null && s.seat_id === a.seatId) this.store.touchSession(a.sessionId, a.seatId, Date.now());
  }

  // ---- timers ----------------------------------------------------------------

  /** Runs every due timer by its kind; the same answer however often it runs. */
  override async alarm(): Promise<void> {
    this.timers.alarmFired();
    const p = this.pool;
    if (!p) return;
    const now = Date.now();
    this.transaction(() => this.timers.runDue(now, {
      stale: () => this.stale.expire(p, now),
      webhook: (id) => this.webhooks.timerFired(id, now),
    }));
    // sent after the transaction: the timers already point at each one's next retry
    await this.webhooks.sendDue((fn) => this.transaction(fn), () => Date.now());
    await this.timers.syncAlarm();
  }

  // ---- webhooks --------------------------------------------------------------

  /** A new subscription; the Worker made its id and secret and checked its URL. */
  async addWebhook(actor: Actor, w: NewWebhook): Promise<Outcome<{ webhook: Webhook }>> {
    const a = this.authorise(actor, "update");
    if ("ok" in a) return a;
    const now = Date.now();
    return { ok: true, webhook: this.transaction(() => this.webhooks.add(w, now)) };
  }

  listWebhooks(actor: Actor): Outcome<{ webhooks: Webhook[] }> {
    const a = this.authorise(actor, "read");
    return "ok" in a ? a : { ok: true, webhooks: this.webhooks.list() };
  }

  removeWebhook(actor: Actor, webhookId: string): Outcome<{ removed: true }> {
    const a = this.authorise(actor, "update");
    if ("ok" in a) return a;
    const gone = this.transaction(() => this.webhooks.remove(webhookId));
    return gone ? { ok: true, removed: true } : failure("not_found", messages.noSuchWebhook);
  }

  webhookDeliveries(actor: Actor, webhookId: string): Outcome<{ deliveries: Delivery[] }> {
    const a = this.authorise(actor, "read");
    if ("ok" in a) return a;
    const deliveries = this.webhooks.deliveries(webhookId);
    return deliveries ? { ok: true, deliveries } : failure("not_found", messages.noSuchWebhook);
  }

  /** For tests and operators: the counters against a recount of the rows. */
  audit(): { inUse: number; activeSeats: number; activeSessions: number } | null {
    if (!this.pool) return null;
    const c = this.store.countActive();
    return { inUse: this.pool.in_use, activeSeats: c.seats, activeSessions: c.sessions };
  }
}
