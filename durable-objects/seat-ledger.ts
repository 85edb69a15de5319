/**
 * The seat ledger: every write that takes, joins or ends a seat, with the in-use counter,
 * the hour's usage and the audit event kept in step in the same transaction. Callers run
 * it inside the pool object's one synchronous transaction; it never awaits.
 */
import type { EndReason } from "../src/contract/errors.js";
import { MINUTE } from "../src/contract/time.js";
import type { CheckoutPlan } from "./checkout-plan.js";
import { poolSummary, seatIdentity } from "./contract-shapes.js";
import type { EventInput, PoolRow, PoolStore, SeatRow } from "./pool-store.js";
import type { CheckoutGrant, CheckoutInput } from "./rpc-types.js";

const ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

function randomId(prefix: string, length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let out = prefix;
  for (const b of bytes) out += ID_ALPHABET[b & 31];
  return out;
}

/** A seat id that begins with its creation time (10 base32 digits of ms), so the primary key lists seats oldest first. */
function seatId(now: number): string {
  let time = "";
  for (let t = now, i = 0; i < 10; i++, t = Math.floor(t / 32)) time = ID_ALPHABET[t % 32] + time;
  return randomId(`seat_${time}`, 10);
}

/** One `denied` row per identity and minute: a thousand refusals of one name are one event with a count. */
const deniedKey = (identity: string, now: number) => `denied:${Math.floor(now / MINUTE)}:${identity}`;

type Identity = Pick<CheckoutInput, "user" | "machine" | "terminalSession">;

/**
 * A room that hears of the ledger's changes, in the same transaction as the change: the
 * policy's group counts, stale expiry's timer, the webhooks' outbox, the queue's handover.
 * Each implements what it needs; all hear every change, in the order they listened.
 */
export interface SeatListener {
  /** A seat was taken (not joined) for `group`, the client's folded group or null. */
  seatTaken?(p: PoolRow, group: string | null, now: number): void;
  /** A whole seat ended: its last session released, or the seat freed, expired, reclaimed, lapsed. */
  seatEnded?(p: PoolRow, seat: SeatRow, reason: EndReason, now: number): void;
  /** Every seat ended at once (credentials revoked). */
  allEnded?(p: PoolRow, reason: EndReason, now: number): void;
  /** The in-use counter moved. */
  inUseChanged?(p: PoolRow, now: number): void;
  /** A checkout was refused for want of a seat (`pool_full`, `group_full`). */
  denied?(p: PoolRow, code: string, details: Record<string, unknown>, now: number): void;
  /** Seats were freed and their ending recorded: told last, so a waiter can be handed one before anyone else can take it. */
  seatFreed?(p: PoolRow, now: number): void;
}

type Told<K extends keyof SeatListener> = Parameters<NonNullable<SeatListener[K]>>;

export class SeatLedger {
  private readonly listeners: SeatListener[] = [];

  constructor(private readonly store: PoolStore) {}

  /** Adds a room to those told of every change. */
  listen(listener: SeatListener): void {
    this.listeners.push(listener);
  }

  private tell<K extends keyof SeatListener>(event: K, ...args: Told<K>): void {
    for (const l of this.listeners) (l[event] as ((...a: Told<K>) => void) | undefined)?.apply(l, args);
  }

  /** Carries out a checkout plan that grants (replay, join, take). */
  grant(p: PoolRow, plan: Exclude<CheckoutPlan, { kind: "refuse" | "queue" }>, input: CheckoutInput, now: number): CheckoutGrant {
    if (plan.kind === "replay") {
      return {
        created: false,
        sessionId: plan.session.session_id,
        seatId: plan.seat.seat_id,
        seatShared: plan.seat.sessions > 1,
        ...seatIdentity(plan.seat),
        pool: poolSummary(p),
      };
    }
    // the launch's earlier session ended: its instance id passes to this one
    if (plan.forgetInstanceOf !== null) this.store.forgetInstance(input.instance!);
    const who = { user: input.user, machine: input.machine, terminalSession: input.terminalSession ?? null };
    const sessionId = randomId("ses_", 22);
    const seatShared = plan.kind === "join";
    let id: string;
    if (plan.kind === "join") {
      id = plan.seat.seat_id;
      this.store.joinSeat(id, now);
      if (plan.sharedWidely) {
        this.store.markSharedWidely(id);
        this.store.logEvent(now, { type: "seat_shared_widely", seatId: id, ...seatIdentity(plan.seat), details: { address: input.address } });
      }
    } else {
      id = seatId(now);
      this.store.insertSeat({
        seat_id: id, identity: plan.identity, user: who.user, machine: who.machine, terminal_session: who.terminalSession,
        since: now, last_seen_at: now, sessions: 1, machine_id: plan.machineId, group_key: plan.group,
      });
      this.tell("seatTaken", p, plan.group, now);
    }
    this.store.insertSession({
      session_id: sessionId,
      seat_id: id,
      instance: input.instance ?? null,
      client_version: input.clientVersion ?? null,
      started_at: now,
      last_seen_at: now,
      address: input.address,
    });
    this.setInUse(p, now, seatShared ? p.in_use : p.in_use + 1, 1, 0);
    this.store.logEvent(now, {
      type: "checkout", seatId: id, sessionId, ...who,
      details: { seatShared, clientVersion: input.clientVersion ?? null },
    });
    return { created: true, sessionId, seatId: id, seatShared, ...who, pool: poolSummary(p) };
  }

  /**
   * Carries out a refusal: its event counted under the caller's identity for this minute,
   * and, the first time in that minute, a denial in the hour's usage (made-up names
   * repeated cannot inflate it beyond one a minute each).
   */
  refuse(p: PoolRow, plan: Extract<CheckoutPlan, { kind: "refuse" }>, input: Identity, now: number): void {
    if (!plan.event) return;
    // only the names: the caller's input also carries its key's hash, address and machine id, which no event or webhook may hold
    const who = { user: input.user, machine: input.machine, terminalSession: input.terminalSession ?? null };
    const first = this.store.countEvent(now, { ...plan.event, ...who, key: deniedKey(plan.identity, now) });
    if (plan.denial && first) this.store.recordUsage(now, p.in_use, p.in_use, 0, 1);
    if (plan.denial) this.tell("denied", p, plan.failure.code, { ...plan.failure.details, ...who }, now);
  }

  /** Ends one session; the seat returns to the pool with its last session. */
  release(p: PoolRow, sessionId: string, seatId: string, now: number): { seatFreed: boolean } {
    const seat = this.store.endSession(sessionId, seatId, "released", now);
    const seatFreed = seat.ended_at !== null;
    this.setInUse(p, now, seatFreed ? p.in_use - 1 : p.in_use, 0, 0);
    this.store.logEvent(now, { type: "release", seatId: seat.seat_id, sessionId, ...seatIdentity(seat), details: { seatFreed } });
    if (seatFreed) {
      this.tell("seatEnded", p, seat, "released", now);
      this.tell("seatFreed", p, now);
    }
    return { seatFreed };
  }

  /**
   * Ends a whole seat (an admin's free, an expiry) and logs `event` for it, with the
   * number of sessions ended added to its details.
   */
  endSeat(p: PoolRow, seat: SeatRow, reason: EndReason, event: Omit<EventInput, "seatId">, now: number): number {
    const sessionsEnded = this.store.endSeat(seat.seat_id, reason, now);
    this.setInUse(p, now, p.in_use - 1, 0, 0);
    this.store.logEvent(now, { ...event, seatId: seat.seat_id, ...seatIdentity(seat), details: { sessionsEnded, ...event.details } });
    this.tell("seatEnded", p, seat, reason, now);
    this.tell("seatFreed", p, now);
    return sessionsEnded;
  }

  /** Ends every active seat and session of the pool. */
  endAll(p: PoolRow, reason: EndReason, now: number): number {
    const sessionsEnded = this.store.endAll(reason, now);
    this.setInUse(p, now, 0, 0, 0);
    this.tell("allEnded", p, reason, now);
    this.tell("seatFreed", p, now);
    return sessionsEnded;
  }

  /** The in-use counter (in memory; recounted on load) and the hour's usage bucket. */
  private setInUse(p: PoolRow, now: number, inUse: number, checkouts: number, denials: number): void {
    const before = p.in_use;
    p.in_use = inUse;
    this.store.recordUsage(now, before, inUse, checkouts, denials);
    if (inUse !== before) this.tell("inUseChanged", p, now);
  }
}
