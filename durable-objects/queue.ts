/**
 * Waiting for a seat: a first-come, first-served queue of tickets, one waiting ticket per
 * identity. When the seat ledger frees a seat it calls `serve` in the same transaction,
 * which gives the seat to the first waiter by the ledger's own take path, so no checkout
 * can take it in between. A waiter must stay present (a state poll within 60 s) and a
 * granted seat must be picked up within 120 s; both are timers on the one alarm.
 */
import { iso, poolSummary, seatIdentity } from "./contract-shapes.js";
import type { PoolRow, PoolStore } from "./pool-store.js";
import type { SeatLedger, SeatListener } from "./seat-ledger.js";
import type { Timers } from "./timers.js";
import type { CheckoutGrant, CheckoutInput } from "./rpc-types.js";
import { HOUR, SECOND } from "../src/contract/time.js";
import type { MeteredSql, Row } from "./metered-sql.js";
import { ticketTag, type LiveChannel } from "./live-channel.js";

/** A waiter neither polling nor connected for this long lapses. */
export const TICKET_PRESENCE_MS = 60 * SECOND;
/** A seat granted from the queue and not picked up for this long ends `lapsed`. */
export const TICKET_PICKUP_MS = 120 * SECOND;

export type TicketState = "waiting" | "granted" | "lapsed" | "cancelled";

export interface TicketRow {
  ticket_id: string;
  seq: number;
  identity: string;
  user: string;
  machine: string;
  terminal_session: string | null;
  client_version: string | null;
  machine_id: string | null;
  address: string | null;
  since: number;
  seen_at: number;
  state: TicketState;
  session_id: string | null;
  seat_id: string | null;
  granted_at: number | null;
  /** 0 or 1: the client fetched the granted ticket. */
  picked_up: number;
  ended_at: number | null;
}


/** The queue's own SQL, on the `tickets` table of migration 5. */
export class QueueStore {
  constructor(private readonly db: MeteredSql) {}

  private first<T extends Row>(query: string, ...params: unknown[]): T | undefined {
    return this.db.first<T>(query, ...params);
  }

  ticket(ticketId: string): TicketRow | undefined {
    return this.first<TicketRow & Row>("SELECT * FROM tickets WHERE ticket_id = ?", ticketId);
  }

  waitingOf(identity: string): TicketRow | undefined {
    return this.first<TicketRow & Row>("SELECT * FROM tickets WHERE identity = ? AND state = 'waiting'", identity);
  }

  firstWaiting(): TicketRow | undefined {
    return this.first<TicketRow & Row>("SELECT * FROM tickets WHERE state = 'waiting' ORDER BY seq LIMIT 1");
  }

  waiting(limit: number): TicketRow[] {
    return this.db.all<TicketRow & Row>("SELECT * FROM tickets WHERE state = 'waiting' ORDER BY seq LIMIT ?", limit);
  }

  /** Waiters ahead of `seq`, plus one: the ticket's place in line. */
  position(seq: number): number {
    return this.first<{ n: number }>("SELECT COUNT(*) AS n FROM tickets WHERE state = 'waiting' AND seq <= ?", seq)!.n;
  }

  countWaiting(): number {
    return this.first<{ n: number }>("SELECT COUNT(*) AS n FROM tickets WHERE state = 'waiting'")!.n;
  }

  nextSeq(): number {
    return this.first<{ n: number }>("SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM tickets")!.n;
  }

  insert(t: Omit<TicketRow, "state" | "session_id" | "seat_id" | "granted_at" | "picked_up" | "ended_at">): void {
    this.db.run(
      `INSERT INTO tickets (ticket_id, seq, identity, user, machine, terminal_session, client_version, machine_id, address, since, seen_at, state)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'waiting')`,
      t.ticket_id, t.seq, t.identity, t.user, t.machine, t.terminal_session, t.client_version, t.machine_id, t.address, t.since, t.seen_at,
    );
  }

  seen(ticketId: string, now: number): void {
    this.db.run("UPDATE tickets SET seen_at = ? WHERE ticket_id = ?", now, ticketId);
  }

  granted(ticketId: string, sessionId: string, seatId: string, now: number): void {
    this.db.run("UPDATE tickets SET state = 'granted', session_id = ?, seat_id = ?, granted_at = ? WHERE ticket_id = ?", sessionId, seatId, now, ticketId);
  }

  pickedUp(ticketId: string): void {
    this.db.run("UPDATE tickets SET picked_up = 1 WHERE ticket_id = ?", ticketId);
  }

  end(ticketId: string, state: "lapsed" | "cancelled", now: number): void {
    this.db.run("UPDATE tickets SET state = ?, ended_at = ? WHERE ticket_id = ?", state, now, ticketId);
  }

  /** One more wait served in the hour's usage bucket, and the longest wait of the hour. */
  recordWait(now: number, seconds: number): void {
    this.db.run(
      `INSERT INTO usage_hours (hour, peak_in_use, last_in_use, waits, max_wait_seconds)
         VALUES (?, (SELECT in_use FROM pool WHERE id = 1), (SELECT in_use FROM pool WHERE id = 1), 1, ?)
       ON CONFLICT (hour) DO UPDATE SET waits = waits + 1, max_wait_seconds = max(max_wait_seconds, excluded.max_wait_seconds)`,
      Math.floor(now / HOUR) * HOUR, seconds,
    );
  }

  /** The wait figures of the hours from `start` (inclusive) to `end` (exclusive). */
  waitHours(start: number, end: number): { hour: number; waits: number; max_wait_seconds: number }[] {
    return this.db.all<{ hour: number; waits: number; max_wait_seconds: number }>(
        "SELECT hour, waits, max_wait_seconds FROM usage_hours WHERE hour >= ? AND hour < ? AND waits > 0", start, end,
      );
  }

  /** Ended tickets are history: keep the newest. */
  prune(keep: number): void {
    this.db.run(
      `DELETE FROM tickets WHERE ended_at IS NOT NULL AND ended_at <= (SELECT ended_at FROM tickets WHERE ended_at IS NOT NULL ORDER BY ended_at DESC LIMIT 1 OFFSET ?)`,
      keep,
    );
  }
}

const ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

function ticketId(): string {
  let out = "tkt_";
  for (const b of crypto.getRandomValues(new Uint8Array(22))) out += ID_ALPHABET[b & 31];
  return out;
}

/** A ticket as the queue answers it. */
export type TicketView =
  | { ticketId: string; state: "waiting"; position: number; waiting: number }
  | ({ ticketId: string; state: "granted" } & CheckoutGrant)
  | { ticketId: string; state: "lapsed" | "cancelled" };

export interface Waiter {
  ticketId: string;
  user: string;
  machine: string;
  terminalSession: string | null;
  since: string;
  position: number;
}

/** Ended tickets kept for late polls to learn their end. */
const ENDED_TICKETS_KEPT = 5_000;

/** What a transaction changed for the waiters' channels, told once it commits. */
export interface QueueNews {
  /** Someone joined or left the line: places and the line's length may have moved. */
  moved: boolean;
  /** Tickets granted a seat, whose channels get `granted`. */
  granted: string[];
}

export class SeatQueue implements SeatListener {
  private readonly tickets: QueueStore;
  private news: QueueNews = { moved: false, granted: [] };

  constructor(
    db: MeteredSql,
    private readonly store: PoolStore,
    private readonly ledger: SeatLedger,
    private readonly timers: Timers,
    private readonly live: LiveChannel,
  ) {
    this.tickets = new QueueStore(db);
  }

  /** The news of the committed transaction, for the channels; cleared. */
  takeNews(): QueueNews {
    const n = this.news;
    this.news = { moved: false, granted: [] };
    return n;
  }

  /** The transaction rolled back: nothing it did happened. */
  dropNews(): void {
    this.news = { moved: false, granted: [] };
  }

  /** A ticket ended: its channel is told why and closed, after the commit. */
  private ended(id: string, reason: "lapsed" | "cancelled"): void {
    this.news.moved = true;
    this.live.later(ticketTag(id), { type: "ended", reason }, reason);
  }

  /** A full pool and `wait: true`: the identity's ticket, made now or earlier. */
  enqueue(p: PoolRow, input: CheckoutInput, identity: string, now: number): { ticketId: string; position: number; waiting: number } {
    let t = this.tickets.waitingOf(identity);
    if (t) {
      this.present(t, now);
    } else {
      const id = ticketId();
      this.tickets.insert({
        ticket_id: id, seq: this.tickets.nextSeq(), identity, user: input.user, machine: input.machine,
        terminal_session: input.terminalSession ?? null, client_version: input.clientVersion ?? null,
        machine_id: input.machineId ?? null, address: input.address, since: now, seen_at: now,
      });
      this.timers.set("ticket_lapse", now + TICKET_PRESENCE_MS, id);
      t = this.tickets.ticket(id)!;
      this.news.moved = true;
      this.store.logEvent(now, {
        type: "queued", user: t.user, machine: t.machine, terminalSession: t.terminal_session,
        details: { ticketId: id, position: this.tickets.position(t.seq) },
      });
    }
    return { ticketId: t.ticket_id, position: this.tickets.position(t.seq), waiting: this.tickets.countWaiting() };
  }

  /** The waiter is here: its lapse moves another 60 s on. */
  private present(t: TicketRow, now: number): void {
    this.tickets.seen(t.ticket_id, now);
    this.timers.set("ticket_lapse", now + TICKET_PRESENCE_MS, t.ticket_id);
  }

  /**
   * The ticket's state, as its holder asks for it: presence for a waiter, and for a granted
   * ticket the pickup (its session is the client's from now on). Undefined for an unknown id.
   */
  poll(p: PoolRow, id: string, now: number): TicketView | undefined {
    const t = this.tickets.ticket(id);
    if (!t) return undefined;
    if (t.state === "waiting") {
      this.present(t, now);
      return { ticketId: id, state: "waiting", position: this.tickets.position(t.seq), waiting: this.tickets.countWaiting() };
    }
    if (t.state === "granted") {
      this.pickUp(t);
      return this.grantedView(p, t);
    }
    return { ticketId: id, state: t.state };
  }

  /** The granted seat is the client's from now on: its pickup timer goes. */
  private pickUp(t: TicketRow): void {
    if (t.picked_up !== 0) return;
    this.tickets.pickedUp(t.ticket_id);
    this.timers.clear("ticket_pickup", t.ticket_id);
  }

  private grantedView(p: PoolRow, t: TicketRow): TicketView {
    const seat = this.store.seatById(t.seat_id!)!;
    return {
      ticketId: t.ticket_id, state: "granted", created: true, sessionId: t.session_id!, seatId: t.seat_id!,
      seatShared: false, ...seatIdentity(seat), pool: poolSummary(p),
    };
  }

  /** Read only: the ticket as its channel would tell it, undefined for an unknown id. */
  view(p: PoolRow, id: string): TicketView | undefined {
    const t = this.tickets.ticket(id);
    if (!t) return undefined;
    if (t.state === "waiting") return { ticketId: id, state: "waiting", position: this.tickets.position(t.seq), waiting: this.tickets.countWaiting() };
    if (t.state === "granted") return this.grantedView(p, t);
    return { ticketId: id, state: t.state };
  }

  /** The ticket's channel opened or closed: presence for a waiter (the 60 s count from now). */
  connected(id: string, now: number): void {
    const t = this.tickets.ticket(id);
    if (t?.state === "waiting") this.present(t, now);
  }

  /** The grant was sent over the ticket's channel: that is its pickup. Answers whether it is still the ticket's. */
  pushed(id: string): boolean {
    const t = this.tickets.ticket(id);
    if (!t || t.state !== "granted") return false;
    this.pickUp(t);
    return true;
  }

  /** Every waiter's place, first in line first, for the channels. */
  places(): Map<string, number> {
    return new Map(this.tickets.waiting(100_000).map((t, i) => [t.ticket_id, i + 1]));
  }

  /**
   * Leaves the queue (the waiter, or an admin removing them). A seat granted and not yet
   * picked up passes to the next waiter; one picked up is the client's session now.
   * Answers whether the ticket was still open.
   */
  leave(p: PoolRow, id: string, actor: string | null, now: number): boolean | undefined {
    const t = this.tickets.ticket(id);
    if (!t) return undefined;
    if (t.state === "lapsed" || t.state === "cancelled" || (t.state === "granted" && t.picked_up === 1)) return false;
    this.tickets.end(id, "cancelled", now);
    this.ended(id, "cancelled");
    this.timers.clear("ticket_lapse", id);
    this.timers.clear("ticket_pickup", id);
    this.store.logEvent(now, {
      type: "left_queue", actor, user: t.user, machine: t.machine, terminalSession: t.terminal_session,
      seatId: t.seat_id, sessionId: t.session_id, details: { ticketId: id, granted: t.state === "granted" },
    });
    if (t.state === "granted") this.endUnclaimed(p, t, "released", now);
    return true;
  }

  /** Ends the seat of a grant nobody picked up; the ledger's free serves the next waiter. */
  private endUnclaimed(p: PoolRow, t: TicketRow, reason: "released" | "lapsed", now: number): void {
    const seat = this.store.activeSeat(t.seat_id!);
    if (!seat) return;
    this.ledger.endSeat(p, seat, reason, { type: reason === "lapsed" ? "lapsed" : "release", details: { ticketId: t.ticket_id } }, now);
  }

  /**
   * Told by the ledger when seats were freed: while a seat is free and someone waits, the
   * first waiter gets it, through the ledger's take path, in the transaction that freed it.
   */
  seatFreed(p: PoolRow, now: number): void {
    while (p.in_use < p.seats) {
      const t = this.tickets.firstWaiting();
      if (!t) return;
      this.timers.clear("ticket_lapse", t.ticket_id);
      if (this.store.activeSeatOf(t.identity)) {
        // the identity got a seat meanwhile (another launch joined or took one): nothing to wait for
        this.tickets.end(t.ticket_id, "cancelled", now);
        this.ended(t.ticket_id, "cancelled");
        continue;
      }
      const grant = this.ledger.grant(
        p,
        // a waiter carries no group: reservations do not steer the queue yet (policy's waiterForFreedSeat is the rule for it)
        { kind: "take", identity: t.identity, forgetInstanceOf: null, machineId: t.machine_id, group: null, overdraft: false },
        {
          user: t.user, machine: t.machine, ...(t.terminal_session === null ? {} : { terminalSession: t.terminal_session }),
          ...(t.client_version === null ? {} : { clientVersion: t.client_version }), generation: p.generation,
          keyHash: p.key_hash, address: t.address,
        },
        now,
      );
      this.tickets.granted(t.ticket_id, grant.sessionId, grant.seatId, now);
      this.news.moved = true;
      this.news.granted.push(t.ticket_id);
      this.timers.set("ticket_pickup", now + TICKET_PICKUP_MS, t.ticket_id);
      const waitedSeconds = Math.round((now - t.since) / SECOND);
      this.tickets.recordWait(now, waitedSeconds);
      this.store.logEvent(now, {
        type: "granted", seatId: grant.seatId, sessionId: grant.sessionId, user: t.user, machine: t.machine,
        terminalSession: t.terminal_session, details: { ticketId: t.ticket_id, waitedSeconds },
      });
    }
  }

  /** Timer: a waiter not seen for 60 s lapses (a later poll moved the timer on, so a due one is absent); an open channel is presence. */
  lapse(id: string, now: number): void {
    const t = this.tickets.ticket(id);
    if (!t || t.state !== "waiting") return;
    if (this.live.ticketConnected(id)) {
      this.timers.set("ticket_lapse", now + TICKET_PRESENCE_MS, id);
      return;
    }
    if (t.seen_at + TICKET_PRESENCE_MS > now) {
      this.timers.set("ticket_lapse", t.seen_at + TICKET_PRESENCE_MS, id);
      return;
    }
    this.tickets.end(id, "lapsed", now);
    this.ended(id, "lapsed");
    this.store.logEvent(now, {
      type: "lapsed", user: t.user, machine: t.machine, terminalSession: t.terminal_session,
      details: { ticketId: id, waiting: true, lastSeenAt: iso(t.seen_at) },
    });
    this.tickets.prune(ENDED_TICKETS_KEPT);
  }

  /** Timer: a grant not picked up in 120 s ends `lapsed`, and the seat goes to the next waiter. */
  pickupDue(p: PoolRow, id: string, now: number): void {
    const t = this.tickets.ticket(id);
    if (!t || t.state !== "granted" || t.picked_up === 1) return;
    this.tickets.end(id, "lapsed", now);
    this.ended(id, "lapsed");
    this.endUnclaimed(p, t, "lapsed", now);
    this.tickets.prune(ENDED_TICKETS_KEPT);
  }

  /** The admin's view: who waits, in order. */
  list(limit: number): Waiter[] {
    return this.tickets.waiting(limit).map((t, i) => ({
      ticketId: t.ticket_id, user: t.user, machine: t.machine, terminalSession: t.terminal_session, since: iso(t.since), position: i + 1,
    }));
  }

  someoneWaiting(): boolean {
    return this.tickets.firstWaiting() !== undefined;
  }

  waitHours(start: number, end: number) {
    return this.tickets.waitHours(start, end);
  }
}
