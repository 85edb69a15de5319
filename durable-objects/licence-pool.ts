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
import type { AdminAction } from "./decisions.js";
import { adminView, PoolAdmins, type AdminRow } from "./pool-admins.js";
import { messages } from "../src/contract/messages.js";
import { hasSchema, poolMigrations, runMigrations } from "./migrations.js";
import { failure, refusedRole, type Actor, type Failure, type Outcome } from "./outcome.js";
import { applyPatch, patchAction } from "./pool-settings.js";
import { isExpiring, policyIssues } from "./policy.js";
import { PolicyRoom } from "./policy-room.js";
import { LATER_SETTING_DEFAULTS, PoolStore, type PoolRow, type SessionRow, type StoreMeter } from "./pool-store.js";
import type { AuthFailure, CheckoutGrant, CheckoutInput, QueuedCheckout, CreatePoolInput, PoolPatch, PoolState, SessionView, StoredEvent } from "./rpc-types.js";
import { SeatLedger } from "./seat-ledger.js";
import { MeteredSql } from "./metered-sql.js";
import { seatPage, type SeatsPage } from "./seat-list.js";
import { isTicketSocket, LiveChannel, TICKET_LIVE_PATH, TICKETS_TAG, type LiveAttachment, type TicketAttachment } from "./live-channel.js";
import type { Env } from "../src/worker/env.js";
import { signGrantToken } from "../src/worker/tokens.js";
import { Borrowing, type BorrowGrant } from "./borrowing.js";
import { PRESENCE_WRITE_WINDOW, StaleExpiry } from "./stale-expiry.js";
import { Timers } from "./timers.js";
import { SeatQueue, type TicketView, type Waiter } from "./queue.js";
import { Reclaim } from "./reclaim.js";
import { ownSeats, seatsOfUser } from "./self-release.js";
import { judgeCredentials } from "./decisions.js";
import type { EndReason } from "../src/contract/errors.js";
import { DAY, MINUTE } from "../src/contract/time.js";
import type { Delivery, PoolAdmin, PoolSummary, Seat, SsoSettings, UsageBucket, Webhook } from "../src/contract/schemas.js";
import { PoolData, type Erasure, type ExportKind, type ExportRow } from "./pool-data.js";
import { Webhooks, type NewWebhook } from "./webhooks.js";
import { adviseSeats, type SeatAdvice } from "./seat-advice.js";
import { directoryStub } from "../src/worker/pool-stub.js";
import type { PoolDirectory } from "./pool-directory.js";

/** What a pool object reaches besides itself: the directory, for the vendor-wide webhooks' subscriptions. */
export interface PoolEnv {
  DIRECTORY: DurableObjectNamespace<PoolDirectory>;
}

/** Who held a seat, as events and answers name them. */
export type SeatHolder = ReturnType<typeof seatIdentity>;

/** An actor checked against the pool: `by` is how events name them (`staff:<email>`, `admin:<name>`, `vendor`). */
interface Authorised {
  pool: PoolRow;
  by: string;
  /** The pool admin acting, when it is one. */
  admin?: AdminRow;
}

/** Whether the pool's single sign-on admits this verified e-mail address: its domain is one of the allowed. */
export function ssoAllows(sso: string | null, email: string): boolean {
  if (sso === null) return false;
  const domain = email.trim().toLowerCase().split("@").pop() ?? "";
  return (JSON.parse(sso) as SsoSettings).allowedDomains.includes(domain);
}

/** A new admin's id: not a secret, only unique within the pool. */
function newAdminId(): string {
  return "AD" + [...crypto.getRandomValues(new Uint8Array(7))].map((b) => b.toString(16).padStart(2, "0")).join("").toUpperCase();
}

export class LicencePool extends DurableObject<PoolEnv> {
  /** Every room's statements go through this one handle, which meters them. */
  private readonly db: MeteredSql;
  private readonly store: PoolStore;
  private readonly ledger: SeatLedger;
  private readonly timers: Timers;
  private readonly stale: StaleExpiry;
  private readonly live: LiveChannel;
  private readonly borrowing: Borrowing;
  private readonly admins: PoolAdmins;
  private readonly policy: PolicyRoom;
  private readonly queue: SeatQueue;
  private readonly reclaim: Reclaim;
  private readonly data: PoolData;
  private readonly webhooks: Webhooks;
  private pool: PoolRow | undefined;

  constructor(ctx: DurableObjectState, env: PoolEnv) {
    super(ctx, env);
    this.db = new MeteredSql(ctx.storage.sql);
    this.store = new PoolStore(this.db);
    this.policy = new PolicyRoom(this.store);
    this.timers = new Timers(this.store, ctx.storage);
    this.webhooks = new Webhooks(this.db, this.timers);
    this.ledger = new SeatLedger(this.store);
    this.live = new LiveChannel(ctx);
    this.borrowing = new Borrowing(this.store, this.ledger, this.timers);
    this.admins = new PoolAdmins(this.db);
    // a borrowed seat is kept until its `until` however long its client is away, as an open channel keeps one
    this.stale = new StaleExpiry(this.store, this.ledger, this.timers, (seatId) => this.live.connected(seatId) || this.borrowing.holds(seatId));
    this.queue = new SeatQueue(this.db, this.store, this.ledger, this.timers, this.live, this.policy, this.webhooks);
    this.reclaim = new Reclaim(this.store, this.ledger, this.timers, this.live, () => this.queue.waitingCount());
    // the rooms told of every seat change, in this order; the queue last, to hand a freed seat on
    for (const room of [this.policy, this.stale, this.webhooks, this.reclaim, this.queue]) this.ledger.listen(room);
    this.data = new PoolData(this.db);
    // An object that was never created writes nothing: probing random pool ids leaves no trace.
    if (hasSchema(ctx.storage)) this.load();
  }

  private load(): void {
    runMigrations(this.ctx.storage, poolMigrations);
    this.pool = this.store.readPool();
    this.policy.load();
    this.webhooks.load();
    this.reclaim.load();
    if (this.pool) this.store.endedRetentionMs = this.pool.retention_days * DAY;
    void this.ctx.blockConcurrencyWhile(async () => {
      await this.timers.load();
      await this.timers.syncAlarm();
    });
  }

  /** One synchronous transaction; if it throws, what the rooms keep in memory is read again so memory never runs ahead of disk. */
  private transaction<T>(fn: () => T): T {
    let out: T;
    try {
      out = this.ctx.storage.transactionSync(fn);
    } catch (e) {
      this.live.drop();
      this.queue.dropNews();
      this.store.forgetCache();
      this.pool = this.store.readPool();
      if (this.pool) {
        this.policy.load();
        this.webhooks.load();
        this.reclaim.load();
      }
      throw e;
    }
    this.afterCommit();
    return out;
  }

  /** What a committed transaction tells the channels: the messages it queued, the waiters' new places, the grants to push. */
  private afterCommit(): void {
    this.live.flush();
    const news = this.queue.takeNews();
    if (news.moved) this.queue.tellPlaces();
    for (const id of news.granted) void this.pushGrant(id).catch(() => {
      // the client still has the ticket's state to poll
    });
    // the line emptied: the warned idle seats are let off
    const p = this.pool;
    if (p && this.reclaim.hasWarnings() && !this.queue.someoneWaiting()) {
      // the timers it clears need no alarm moved at once: an early alarm finds nothing due
      this.transaction(() => this.reclaim.review(p, Date.now()));
    }
  }

  /** Pushes a grant down the ticket's channel, signed here by the Worker's one signer after the grant committed. */
  private async pushGrant(ticketId: string): Promise<void> {
    const p = this.pool;
    if (!p) return;
    await this.queue.push(p, ticketId, (grant) => signGrantToken(this.env as Env, grant), (fn) => this.transaction(fn));
    await this.timers.syncAlarm(); // the push was the pickup: its timer went
  }

  // ---- creation --------------------------------------------------------------

  /** `by` names who created it in the audit log. */
  async create(input: CreatePoolInput, by = "vendor"): Promise<Outcome<{ pool: PoolState }>> {
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
      ...LATER_SETTING_DEFAULTS,
      self_release: input.selfRelease ? 1 : 0,
      region: input.region,
      location_hint: input.locationHint,
      retention_days: input.retentionDays,
    };
    this.store.endedRetentionMs = row.retention_days * DAY;
    this.transaction(() => {
      this.store.insertPool(row);
      this.admins.add({ adminId: newAdminId(), name: "first admin", email: null, keyHash: input.adminKeyHash }, now);
      this.store.logEvent(now, { type: "pool_created", actor: by, details: { customer: row.customer, seats: row.seats } });
      // retention holds on a quiet pool too: a daily prune, not only every few hundred writes
      this.timers.set("retention", now + DAY);
    });
    this.pool = row;
    await this.timers.syncAlarm();
    return { ok: true, pool: poolState(row) };
  }

  // ---- client API ------------------------------------------------------------

  async checkout(input: CheckoutInput): Promise<Outcome<CheckoutGrant | QueuedCheckout>> {
    const p = this.pool;
    if (!p) return failure("invalid_credentials", messages.badCredentials);
    const now = Date.now();
    const result = this.transaction((): Outcome<CheckoutGrant | QueuedCheckout> => {
      const plan = planCheckout(input, p, this.store, this.policy.view(p, now));
      if (plan.kind === "refuse") {
        this.ledger.refuse(p, plan, input, now);
        if (plan.failure.code !== "pool_full") return plan.failure;
        // the user's own seats elsewhere, which they may free themselves
        const own = ownSeats(this.db, input.user, plan.identity, (id) => this.live.connected(id));
        if (own.length === 0) return plan.failure;
        return { ...plan.failure, details: { ...plan.failure.details, ownSeats: own as unknown as Record<string, string | boolean | null>[] } };
      }
      if (plan.kind === "queue") {
        const ticket = this.queue.enqueue(p, input, plan.identity, now);
        // the first waiter: idle seats may now be taken back for them
        if (ticket.waiting === 1) this.reclaim.review(p, now);
        return { ok: true, queued: true, ...ticket, pool: poolSummary(p) };
      }
      const grant = this.ledger.grant(p, plan, input, now);
      if (plan.kind === "take" && plan.overdraft) this.store.recordOverdraft(now, p.in_use - p.seats);
      return { ok: true, ...grant, ...this.policyOfAnswer(p, now, plan.kind === "take" && plan.overdraft) };
    });
    await this.timers.syncAlarm();
    return result;
  }

  /** Pool policy on a checkout answer: the term's end, its warning, and the overdraft mark. */
  private policyOfAnswer(p: PoolRow, now: number, overdraft: boolean): Pick<CheckoutGrant, "pool" | "warnings" | "overdraft"> {
    const validUntil = p.valid_until === null ? null : new Date(p.valid_until).toISOString();
    return {
      pool: { ...poolSummary(p), validUntil },
      ...(isExpiring(now, p.valid_until) ? { warnings: [{ code: "pool_expiring", validUntil: validUntil! }] } : {}),
      ...(overdraft ? { overdraft: true } : {}),
    };
  }

  async release(sessionId: string, seatId: string): Promise<Outcome<{ released: boolean; seatFreed?: boolean; reason?: EndReason; pool: PoolSummary }>> {
    const p = this.pool;
    if (!p) return failure("invalid_token", messages.tokenForeign);
    const now = Date.now();
    const out = this.transaction(() => {
      const s = this.store.session(sessionId, seatId);
      if (!s) return { ok: true as const, released: false, reason: "expired" as const, pool: poolSummary(p) };
      if (s.ended_at !== null) return { ok: true as const, released: false, reason: s.end_reason!, pool: poolSummary(p) };
      const { seatFreed } = this.ledger.release(p, sessionId, s.seat_id, now);
      this.borrowing.released(sessionId, this.store.seatById(s.seat_id)!, now);
      return { ok: true as const, released: true, seatFreed, pool: poolSummary(p) };
    });
    if (out.ok && out.released) this.live.ended("released", sessionId);
    await this.timers.syncAlarm(); // a handover to a waiter set its pickup timer
    return out;
  }

  /** Borrows the session's seat to work offline; the Worker signs the lease. */
  async borrow(sessionId: string, seatId: string, days: number): Promise<Outcome<BorrowGrant & { poolId: string }>> {
    const p = this.pool;
    if (!p) return failure("invalid_token", messages.tokenForeign);
    const now = Date.now();
    const out = this.transaction((): Outcome<BorrowGrant & { poolId: string }> => {
      const ended = this.endedFailure(this.store.session(sessionId, seatId));
      if (ended) return ended;
      const grant = this.borrowing.borrow(p, sessionId, this.store.activeSeat(seatId)!, days, now);
      return grant.ok ? { ...grant, poolId: p.pool_id } : grant;
    });
    await this.timers.syncAlarm();
    return out;
  }

  /**
   * Presence by HTTP: written at most once a window per session, so beats within it cost
   * nothing. `idleSince` (ms, null: in use, undefined: not said) is kept in memory; only a
   * change of the seat's idle state is reviewed for reclaim, which may set a timer.
   */
  async heartbeat(sessionId: string, seatId: string, idleSince?: number | null): Promise<Outcome<{ active: true; pool: PoolSummary }>> {
    const p = this.pool;
    if (!p) return failure("invalid_token", messages.tokenForeign);
    const s = this.store.session(sessionId, seatId);
    const ended = this.endedFailure(s);
    if (ended) return ended;
    const now = Date.now();
    if (now - s!.last_seen_at >= PRESENCE_WRITE_WINDOW) this.store.touchSession(sessionId, seatId, now);
    if (this.reclaim.beat(sessionId, seatId, idleSince, now) && p.reclaim_idle_minutes !== null) {
      this.transaction(() => this.reclaim.review(p, now, seatId));
      await this.timers.syncAlarm();
    }
    return { ok: true, active: true, pool: poolSummary(p) };
  }

  status(sessionId: string, seatId: string): Outcome<{ session: SessionView }> {
    if (!this.pool) return failure("invalid_token", messages.tokenForeign);
    const s = this.store.session(sessionId, seatId);
    if (!s) return failure("session_ended", messages.sessionGone, { reason: "expired" });
    return { ok: true, session: sessionView(s, this.store.seatById(s.seat_id)!) };
  }

  /** Sessions are found by their token's session and seat ids together, so a session found is the token's own. */
  private endedFailure(s: SessionRow | undefined): Failure | undefined {
    if (!s) return failure("session_ended", messages.sessionGone, { reason: "expired" });
    if (s.ended_at !== null) return failure("session_ended", messages.sessionEnded(s.end_reason!), { reason: s.end_reason });
    return undefined;
  }

  // ---- admin API -------------------------------------------------------------

  /** Checks the actor against this pool (the admin key's hash) and the action against its role. */
  private authorise(actor: Actor, action: AdminAction): Authorised | Failure {
    const p = this.pool;
    if (!p) return { ...failure("not_found", messages.noSuchPool), resource: "pool" };
    // one look-up by the key's hash; a wrong key writes nothing here: the Worker asks the failure limiter, then `recordAuthFailure`
    if (actor.role === "admin" && "ssoEmail" in actor) {
      // the pool's sign-on still covers this address: turning it off or dropping the domain ends such sessions
      if (!ssoAllows(p.sso, actor.ssoEmail)) return failure("unauthorized", messages.badAdminKey);
      const refusedSso = refusedRole(actor, action, action === "update_seats" ? messages.seatsAreTheVendors : undefined);
      return refusedSso ?? { pool: p, by: `admin:${actor.ssoEmail}` };
    }
    const admin = actor.role === "admin" ? this.admins.byKeyHash(actor.keyHash) : undefined;
    if (actor.role === "admin" && !admin) return failure("unauthorized", messages.badAdminKey);
    const refused = refusedRole(actor, action, admin && action === "update_seats" ? messages.seatsAreTheVendors : undefined);
    if (refused) return refused;
    const by = admin ? `admin:${admin.name}` : actor.role === "vendor" && actor.staff ? `staff:${actor.staff.email}` : "vendor";
    return admin ? { pool: p, by, admin } : { pool: p, by };
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
    return "ok" in a ? a : { ok: true, pool: this.state(a.pool) };
  }

  /** The pool as answers show it, with the policy room's group figures. */
  private state(p: PoolRow): PoolState {
    return poolState(p, this.policy.groupFigures(p));
  }

  /** The vendor's directory listing asks each pool for its live figures. */
  summaryForVendor(): PoolState | null {
    return this.pool ? this.state(this.pool) : null;
  }

  /** A page of the seats in use, oldest first, optionally those whose user or machine contains `q` (compared as names are). */
  listSeats(actor: Actor, page: SeatsPage = {}): Outcome<{ seats: Seat[]; next: string | null; total: number }> {
    const a = this.authorise(actor, "read");
    const now = Date.now();
    return "ok" in a ? a : { ok: true, ...seatPage(this.store, a.pool, page, { connected: (id) => this.live.connected(id), idleSince: (id) => this.reclaim.seatIdleSince(id, now) }) };
  }

  async updatePool(actor: Actor, patch: PoolPatch): Promise<Outcome<{ pool: PoolState }>> {
    const a = this.authorise(actor, patchAction(patch));
    // a pool admin touching the term or overdraft is told those are the vendor's; a staff role keeps its own refusal
    if ("ok" in a) return a.code === "forbidden" && actor.role === "admin" && patch.seats === undefined ? { ...a, message: messages.termIsTheVendors } : a;
    const p = a.pool;
    const now = Date.now();
    const { next, changes } = applyPatch(p, patch);
    const issues = policyIssues({
      seats: next.seats, validFrom: next.valid_from, validUntil: next.valid_until,
      blocked: next.blocked === null ? null : JSON.parse(next.blocked), groups: next.groups === null ? null : JSON.parse(next.groups),
    });
    if (issues.length > 0) return failure("invalid_request", messages.policyInvalid, { issues });
    this.transaction(() => {
      this.store.writeSettings(next);
      this.store.logEvent(now, { type: "pool_updated", actor: a.by, details: changes });
      Object.assign(p, next);
      if (changes.staleAfterHours) this.stale.reschedule(p);
      if (changes.validUntil) this.webhooks.scheduleExpiring(p, now); // the term's warnings move with it
      // more seats: the waiters get them before any new checkout
      if (changes.seats) this.queue.seatFreed(p, now); // seats added are seats free for those waiting
      if (changes.reclaimIdleMinutes || changes.reclaimGraceMinutes) this.reclaim.review(p, now);
      if (changes.retentionDays) {
        this.store.endedRetentionMs = p.retention_days * DAY;
        this.store.prune(now);
      }
    });
    await this.timers.syncAlarm();
    return { ok: true, pool: this.state(p) };
  }

  /** One seat in use, by id: the dashboard's confirmation names it without listing the pool. */
  seat(actor: Actor, seatId: string): Outcome<{ seat: Seat }> {
    const a = this.authorise(actor, "read");
    if ("ok" in a) return a;
    const row = this.store.activeSeat(seatId);
    if (!row) return { ...failure("not_found", messages.noSuchSeat), resource: "seat" };
    return { ok: true, seat: seatList([row], this.store.activeSessionsOf([row.seat_id]), this.store.borrowsOf([row.seat_id]))[0]! };
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
      const sessionsEnded = this.ledger.endSeat(p, seat, "freed", { type: "freed", actor: a.by }, now);
      this.borrowing.seatsEnded();
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
        this.borrowing.seatsEnded();
        this.store.logEvent(now, { type: "revoked", actor: a.by, details: { sessionsEnded } });
      }
      this.store.logEvent(now, { type: "credentials_rotated", actor: a.by, details: { generation, endSessions } });
      this.webhooks.emit(p, "credentials.rotated", { generation, endSessions, sessionsEnded }, now);
      p.generation = generation;
      p.key_hash = keyHash;
      return { ok: true as const, generation, sessionsEnded };
    });
    if (endSessions) this.live.ended("revoked");
    await this.timers.syncAlarm(); // a credentials.rotated delivery may be due
    return out;
  }

  /** Replaces the caller's own key; the vendor's credential replaces the first admin's. */
  rotateAdminKey(actor: Actor, adminKeyHash: string): Outcome<{ rotated: true; adminId: string }> {
    const a = this.authorise(actor, "rotate_admin_key");
    if ("ok" in a) return a;
    const target = a.admin ?? this.admins.first();
    if (!target) return failure("not_found", messages.noSuchAdmin);
    const now = Date.now();
    this.transaction(() => {
      this.admins.writeKeyHash(target.admin_id, adminKeyHash);
      this.store.logEvent(now, { type: "admin_key_rotated", actor: a.by, details: { adminId: target.admin_id, name: target.name } });
    });
    return { ok: true, rotated: true, adminId: target.admin_id };
  }

  // ---- pool admins -------------------------------------------------------------

  /** The pool's single sign-on with its client secret, for the Worker's sign-in alone (never sent to a client). */
  ssoConfig(): SsoSettings | null {
    return this.pool?.sso ? (JSON.parse(this.pool.sso) as SsoSettings) : null;
  }

  /** Which admin a key is (for the dashboard's session, so removing the admin ends it); null for the vendor. */
  identify(actor: Actor): Outcome<{ adminId: string | null }> {
    const a = this.authorise(actor, "read");
    return "ok" in a ? a : { ok: true, adminId: a.admin?.admin_id ?? null };
  }

  addAdmin(actor: Actor, admin: { name: string; email: string | null; keyHash: string }): Outcome<{ admin: PoolAdmin }> {
    const a = this.authorise(actor, "manage_admins");
    if ("ok" in a) return a;
    const now = Date.now();
    const row = this.transaction(() => {
      const added = this.admins.add({ adminId: newAdminId(), ...admin }, now);
      this.store.logEvent(now, { type: "admin_added", actor: a.by, details: { adminId: added.admin_id, name: added.name } });
      return added;
    });
    return { ok: true, admin: adminView(row) };
  }

  listAdmins(actor: Actor): Outcome<{ admins: PoolAdmin[] }> {
    const a = this.authorise(actor, "read");
    return "ok" in a ? a : { ok: true, admins: this.admins.list().map(adminView) };
  }

  /** Removes one admin; never the last, so the pool always has someone to manage it. */
  removeAdmin(actor: Actor, adminId: string): Outcome<{ admin: PoolAdmin }> {
    const a = this.authorise(actor, "manage_admins");
    if ("ok" in a) return a;
    const now = Date.now();
    return this.transaction((): Outcome<{ admin: PoolAdmin }> => {
      const target = this.admins.byId(adminId);
      if (!target) return failure("not_found", messages.noSuchAdmin);
      if (this.admins.count() <= 1) return failure("conflict", messages.lastAdmin);
      this.admins.remove(adminId);
      this.store.logEvent(now, { type: "admin_removed", actor: a.by, details: { adminId, name: target.name } });
      return { ok: true, admin: adminView(target) };
    });
  }

  events(actor: Actor, limit: number, before: number | undefined): Outcome<{ events: StoredEvent[]; next: string | null }> {
    const a = this.authorise(actor, "read");
    return "ok" in a ? a : { ok: true, ...eventPage(this.store.events(limit, before), limit) };
  }

  /** Buckets from `from` to `to` (ms, inclusive), oldest first. */
  usage(actor: Actor, from: number, to: number, bucket: "hour" | "day"): Outcome<{ buckets: UsageBucket[] }> {
    const a = this.authorise(actor, "read");
    return "ok" in a ? a : { ok: true, buckets: usageReport(this.store, from, to, bucket, a.pool.in_use) };
  }

  // ---- waiting for a seat ------------------------------------------------------

  /** The ticket's state for its holder (presence, and the pickup of a granted seat). */
  async ticket(ticketId: string): Promise<Outcome<{ ticket: TicketView }>> {
    const p = this.pool;
    if (!p) return failure("invalid_token", messages.badTicketToken);
    const now = Date.now();
    const view = this.transaction(() => this.queue.poll(p, ticketId, now));
    await this.timers.syncAlarm();
    if (!view) return { ...failure("not_found", messages.noSuchTicket) };
    return { ok: true, ticket: view };
  }

  /** The holder leaves the queue; a granted seat not yet picked up passes on. */
  async leaveQueue(ticketId: string): Promise<Outcome<{ left: boolean }>> {
    const p = this.pool;
    if (!p) return failure("invalid_token", messages.badTicketToken);
    const now = Date.now();
    const left = this.transaction(() => this.queue.leave(p, ticketId, null, now));
    await this.timers.syncAlarm();
    if (left === undefined) return failure("not_found", messages.noSuchTicket);
    return { ok: true, left };
  }

  /** Who waits, first in line first. */
  listQueue(actor: Actor): Outcome<{ waiting: Waiter[] }> {
    const a = this.authorise(actor, "read");
    return "ok" in a ? a : { ok: true, waiting: this.queue.list(1000) };
  }

  /** An admin removes a waiter. */
  async removeFromQueue(actor: Actor, ticketId: string): Promise<Outcome<{ removed: true }>> {
    const a = this.authorise(actor, "free");
    if ("ok" in a) return a;
    const now = Date.now();
    const left = this.transaction(() => this.queue.leave(a.pool, ticketId, a.by, now));
    await this.timers.syncAlarm();
    if (!left) return failure("not_found", messages.noSuchTicket);
    return { ok: true, removed: true };
  }

  // ---- releasing your own seat -------------------------------------------------

  /**
   * Frees a seat of the caller's user held elsewhere, with the pool's credentials; refused
   * while its holder is connected and active. Logged `freed` by `self:<user>@<machine>`.
   */
  async selfRelease(input: { generation: number; keyHash: string; user: string; machine: string }, seatId: string): Promise<Outcome<{ pool: PoolSummary }>> {
    const p = this.pool;
    if (!p) return failure("invalid_credentials", messages.badCredentials);
    const verdict = judgeCredentials(
      { generation: p.generation, keyHash: p.key_hash }, { generation: input.generation, keyHash: input.keyHash }, (g) => this.store.keyHashOfGeneration(g),
    );
    if (verdict === "invalid") return failure("invalid_credentials", messages.badCredentials);
    if (verdict === "revoked") return failure("credentials_revoked", messages.credentialsRevoked);
    if (p.self_release !== 1) return failure("forbidden", messages.selfReleaseOff);
    const seat = seatsOfUser(this.db, input.user, 1000).find((s) => s.seat_id === seatId);
    if (!seat) return { ...failure("not_found", messages.noOwnSeat), resource: "seat" };
    if (this.live.active(seatId)) return failure("seat_active", messages.seatActive(seat.machine));
    const now = Date.now();
    this.transaction(() => this.ledger.endSeat(p, seat, "freed", { type: "freed", actor: `self:${input.user.trim()}@${input.machine.trim()}` }, now));
    this.live.ended("freed", seatId);
    await this.timers.syncAlarm();
    return { ok: true, pool: poolSummary(p) };
  }

  /** How many seats the pool should have, judged on the last `days` days of hourly usage. */
  advice(actor: Actor, days: number): Outcome<{ advice: SeatAdvice }> {
    const a = this.authorise(actor, "read");
    if ("ok" in a) return a;
    const now = Date.now();
    return { ok: true, advice: adviseSeats(a.pool.seats, days, usageReport(this.store, now - days * DAY + 1, now, "hour", a.pool.in_use)) };
  }

  // ---- live channel ----------------------------------------------------------

  /** The live channel's upgrade, authenticated by the Worker: open for an active session, else its error. */
  override async fetch(request: Request): Promise<Response> {
    if (new URL(request.url).pathname === TICKET_LIVE_PATH) return this.openTicketLive(request);
    return this.live.open(request, (sessionId, seatId) => {
      const p = this.pool;
      if (!p) return failure("invalid_token", messages.tokenForeign);
      return this.endedFailure(this.store.session(sessionId, seatId)) ?? { pool: poolSummary(p) };
    });
  }

  /**
   * A waiter's channel: presence while open, then where the ticket stands: its place, its
   * grant (pushed, so picked up), or its end. An unknown ticket is refused before any upgrade.
   */
  private async openTicketLive(request: Request): Promise<Response> {
    const p = this.pool;
    const res = this.live.openTicket(
      request,
      (ticketId) => (!p ? failure("invalid_token", messages.badTicketToken) : this.queue.view(p, ticketId) ? undefined : failure("not_found", messages.noSuchTicket)),
      (ticketId, ws) => {
        const now = Date.now();
        this.transaction(() => this.queue.connected(ticketId, now));
        if (this.queue.greet(p!, ticketId, ws) === "granted") void this.pushGrant(ticketId).catch(() => {});
      },
    );
    await this.timers.syncAlarm(); // the presence moved the ticket's lapse
    return res;
  }

  /** `idle` and `active` are kept on the socket (self-release asks whether a holder is active); other text is ignored. */
  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const seatId = this.live.noteActivity(ws, message);
    const p = this.pool;
    // a change of idleness matters only while reclaim is on and someone waits (or a warning stands)
    if (!seatId || !p || p.reclaim_idle_minutes === null || !(this.queue.someoneWaiting() || this.reclaim.hasWarnings())) return;
    this.transaction(() => this.reclaim.review(p, Date.now(), seatId));
    await this.timers.syncAlarm();
  }

  /** A channel that closes records when its client was last seen, once, for stale expiry. */
  override async webSocketClose(ws: WebSocket): Promise<void> {
    if (isTicketSocket(ws)) {
      // the waiter's 60 s of presence count from the channel's close
      const now = Date.now();
      this.transaction(() => this.queue.connected((ws.deserializeAttachment() as TicketAttachment).ticketId, now));
      await this.timers.syncAlarm();
      return;
    }
    const a = ws.deserializeAttachment() as LiveAttachment | null;
    const s = a && this.store.session(a.sessionId, a.seatId);
    if (s && s.ended_at === null) this.store.touchSession(a.sessionId, a.seatId, Date.now());
  }

  // ---- timers ----------------------------------------------------------------

  /** Runs every due timer by its kind; the same answer however often it runs. */
  override async alarm(): Promise<void> {
    this.timers.alarmFired();
    const p = this.pool;
    if (!p) return;
    const now = Date.now();
    this.transaction(() =>
      this.timers.runDue(now, {
        stale: () => this.stale.expire(p, now),
        borrow: (seatId) => this.borrowing.expire(p, seatId, now),
        ticket_lapse: (key) => this.queue.lapse(key, now),
        ticket_pickup: (key) => this.queue.pickupDue(p, key, now),
        queue_waiting: () => this.queue.waitingDue(p, now),
        reclaim: (key) => this.reclaim.timerFired(p, key, now),
        webhook: (id) => this.webhooks.timerFired(id, now),
        vendor_webhook: (id) => this.webhooks.vendorTimerFired(id, now),
        pool_expiring: (days) => this.webhooks.expiringDue(p, days, now),
        retention: () => {
          this.store.prune(now);
          this.webhooks.prune(now - p.retention_days * DAY);
          this.timers.set("retention", now + DAY);
        },
      }),
    );
    // sent after the transaction: the timers already point at each one's next retry
    await this.webhooks.sendDue((fn) => this.transaction(fn), () => Date.now(), () => directoryStub(this.env).vendorWebhookTargets());
    await this.timers.syncAlarm();
  }

  /** Rows this object read and wrote since it started, as Cloudflare bills them: for the bench and the write-budget tests. */
  meter(): StoreMeter {
    return { ...this.db.meter };
  }

  // ---- where a pool lives, and its data --------------------------------------

  /** One page of an export: the records of `kind` after the cursor `after`. No hash is in any of them. */
  exportPage(actor: Actor, kind: ExportKind, after: string | null, limit: number): Outcome<{ records: ExportRow[]; next: string | null }> {
    const a = this.authorise(actor, "export");
    return "ok" in a ? a : { ok: true, ...this.data.page(kind, after, limit) };
  }

  /** Erases one person's names from what has ended; logged as `erased` with the counts, never the names. */
  erase(actor: Actor, user: string, machine: string | undefined): Outcome<Erasure & { records: number }> {
    const a = this.authorise(actor, "erase");
    if ("ok" in a) return a;
    const now = Date.now();
    return this.transaction(() => {
      const erased = this.data.erase(user, machine);
      const records = erased.seats + erased.sessions + erased.events + erased.tickets + erased.deliveries;
      this.store.logEvent(now, { type: "erased", actor: a.by, details: { records, ...erased, machineGiven: machine !== undefined } });
      return { ok: true as const, records, ...erased };
    });
  }

  /** Deletes the pool and all it holds, its alarm too; from then on it answers as a pool that never existed. */
  async deletePool(actor: Actor): Promise<Outcome<{ deleted: true }>> {
    // a pool's own admin may read it but not delete it: owners and sales of the vendor's staff may
    if (actor.role === "admin") {
      const read = this.authorise(actor, "read");
      return "ok" in read ? read : failure("forbidden", messages.onlyVendorDeletes);
    }
    const a = this.authorise(actor, "delete_pool");
    if ("ok" in a) return a;
    this.pool = undefined;
    this.live.ended("revoked");
    // the waiters' tickets are gone with the pool
    this.live.later(TICKETS_TAG, { type: "ended", reason: "cancelled" }, "cancelled");
    this.live.flush();
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    return { ok: true, deleted: true };
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

  /** This pool's deliveries to a vendor-wide subscription, for the vendor alone; the Worker checked the directory knows it. */
  vendorWebhookDeliveries(actor: Actor, webhookId: string): Outcome<{ deliveries: Delivery[] }> {
    if (actor.role !== "vendor") return failure("not_found", messages.noSuchWebhook);
    const a = this.authorise(actor, "read");
    return "ok" in a ? a : { ok: true, deliveries: this.webhooks.vendorDeliveries(webhookId) };
  }

  /** For tests and operators: the counters against a recount of the rows. */
  audit(): { inUse: number; activeSeats: number; activeSessions: number } | null {
    if (!this.pool) return null;
    const c = this.store.countActive();
    return { inUse: this.pool.in_use, activeSeats: c.seats, activeSessions: c.sessions };
  }
}
