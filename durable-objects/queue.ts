/**
 * Waiting for a seat: a first-come, first-served queue of tickets, one waiting ticket per
 * identity. When the seat ledger frees a seat it tells `seatFreed` in the same transaction,
 * which gives the seat to the waiter the checkout's own policy picks (a group's reserved
 * seat to its waiters first, a group at its max passed over) by the ledger's take path, so
 * no checkout can take it in between. A waiter must stay present (a state poll within 60 s,
 * or the ticket's live channel open) and a granted seat must be picked up within 120 s
 * (fetched, or pushed down the channel); both are timers on the one alarm, as is the
 * `queue.waiting` webhook after 5 minutes. What the channels are told is news kept until
 * the transaction commits.
 */
import { iso, poolSummary, seatIdentity } from "./contract-shapes.js";
import type { PoolRow, PoolStore } from "./pool-store.js";
import type { SeatLedger, SeatListener } from "./seat-ledger.js";
import type { Timers } from "./timers.js";
import type { CheckoutGrant, CheckoutInput } from "./rpc-types.js";
import { HOUR, SECOND } from "../src/contract/time.js";
import type { MeteredSql, Row } from "./metered-sql.js";
import { ticketTag, type LiveChannel, type TicketAttachment } from "./live-channel.js";
import { decideTake, waiterForFreedSeat } from "./policy.js";
import { PolicyRoom } from "./policy-room.js";
import type { Webhooks } from "./webhooks.js";

/** A waiter neither polling nor connected for this long lapses. */
export const TICKET_PRESENCE_MS = 60 * SECOND;
/** A seat granted from the queue and not picked up for this long ends `lapsed`. */
export const TICKET_PICKUP_MS = 120 * SECOND;
/** Someone waiting this long is told to the `queue.waiting` webhook, once per ticket. */
export const QUEUE_WAITING_MS = 5 * 60 * SECOND;
/** How many waiters, first in line first, a freed seat's decision looks at. */
const WAITERS_CONSIDERED = 1000;

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
  /** Migration 11: the waiter's group, folded, or null. */
  group_key: string | null;
  /** Migration 11: 0 or 1, `queue.waiting` was sent for it. */
  waiting_told: number;
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

  insert(t: Omit<TicketRow, "state" | "session_id" | "seat_id" | "granted_at" | "picked_up" | "ended_at" | "waiting_told">): void {
    this.db.run(
      `INSERT INTO tickets (ticket_id, seq, identity, user, machine, terminal_session, client_version, machine_id, address, since, seen_at, state, group_key)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'waiting', ?)`,
      t.ticket_id, t.seq, t.identity, t.user, t.machine, t.terminal_session, t.client_version, t.machine_id, t.address, t.since, t.seen_at, t.group_key,
    );
  }

  /** Waiters not yet told to `queue.waiting` who have waited since `before` or earlier, first in line first. */
  untoldSince(before: number): TicketRow[] {
    return this.db.all<TicketRow & Row>("SELECT * FROM tickets WHERE state = 'waiting' AND waiting_told = 0 AND since <= ? ORDER BY seq LIMIT 100", before);
  }

  /** The first waiter not yet told to `queue.waiting`. */
  firstUntold(): TicketRow | undefined {
    return this.first<TicketRow & Row>("SELECT * FROM tickets WHERE state = 'waiting' AND waiting_told = 0 ORDER BY seq LIMIT 1");
  }

  told(ticketId: string): void {
    this.db.run("UPDATE tickets SET waiting_told = 1 WHERE ticket_id = ?", ticketId);
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
    private readonly policy: PolicyRoom,
    private readonly webhooks: Webhooks,
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
        group_key: PolicyRoom.groupKey(input.group),
      });
      this.timers.set("ticket_lapse", now + TICKET_PRESENCE_MS, id);
      // one timer for the first waiter not yet told; it moves on to the next when it fires
      if (!this.timers.has("queue_waiting")) this.timers.set("queue_waiting", now + QUEUE_WAITING_MS);
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

  /** The grant is being sent over the ticket's channel: that is its pickup. Answers whether it is still the ticket's. */
  private pushed(id: string): boolean {
    const t = this.tickets.ticket(id);
    if (!t || t.state !== "granted") return false;
    this.pickUp(t);
    return true;
  }

  /** After a commit that moved the line: `position` to each waiter's channel whose place or line length changed since it was last told. */
  tellPlaces(): void {
    const sockets = this.live.ticketSockets();
    if (sockets.length === 0) return;
    const places = new Map(this.tickets.waiting(100_000).map((t, i) => [t.ticket_id, i + 1]));
    for (const ws of sockets) {
      const a = ws.deserializeAttachment() as TicketAttachment;
      const position = places.get(a.ticketId);
      if (position === undefined || (a.position === position && a.waiting === places.size)) continue;
      try {
        ws.send(JSON.stringify({ type: "position", position, waiting: places.size }));
        ws.serializeAttachment({ ...a, position, waiting: places.size } satisfies TicketAttachment);
      } catch {
        // closing: its close records the presence
      }
    }
  }

  /** A channel just opened: it is told where the ticket stands; answers its state (a granted one is then pushed). */
  greet(p: PoolRow, id: string, ws: WebSocket): TicketState {
    const view = this.view(p, id)!;
    if (view.state === "waiting") {
      ws.send(JSON.stringify({ type: "position", position: view.position, waiting: view.waiting }));
      ws.serializeAttachment({ ticketId: id, position: view.position, waiting: view.waiting } satisfies TicketAttachment);
    } else if (view.state !== "granted") {
      ws.send(JSON.stringify({ type: "ended", reason: view.state }));
      ws.close(1000, view.state);
    }
    return view.state;
  }

  /**
   * Sends a granted seat down the ticket's channel, after the grant committed: `sign` makes
   * its session token, and the send, committed through `commit`, is its pickup. Without a
   * channel open it does nothing: the poll serves the grant.
   */
  async push(p: PoolRow, id: string, sign: (grant: CheckoutGrant) => Promise<string>, commit: <T>(fn: () => T) => T): Promise<void> {
    if (!this.live.ticketConnected(id)) return;
    const view = this.view(p, id);
    if (view?.state !== "granted") return;
    const token = await sign(view);
    if (!commit(() => this.pushed(id))) return;
    const { state: _s, created: _c, user: _u, machine: _m, terminalSession: _t, ...fields } = view;
    const message = JSON.stringify({ type: "granted", ...fields, token });
    for (const ws of this.live.ticketSockets(id)) {
      try {
        ws.send(message);
        ws.close(1000, "granted");
      } catch {
        // closing: the ticket's state still answers the grant
      }
    }
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

  /** The group of the seat that ended last (folded, or null): its reserved seat goes to that group's waiters first. */
  private freedGroup: string | null = null;

  seatEnded(_p: PoolRow, seat: { group_key?: string | null }): void {
    this.freedGroup = seat.group_key ?? null;
  }

  allEnded(): void {
    this.freedGroup = null;
  }

  /**
   * Told by the ledger when seats were freed: while a seat is free for someone waiting, it
   * goes to the waiter the checkout's own decisions pick (policy's waiterForFreedSeat: a
   * group's reserved seat to that group's first waiter, a group at its max passed over),
   * through the ledger's take path, in the transaction that freed it.
   */
  seatFreed(p: PoolRow, now: number): void {
    let freedGroup = this.freedGroup;
    this.freedGroup = null;
    for (;;) {
      const figures = this.policy.view(p, now).figures;
      // without groups every waiter is alike: the first in line is the one
      const waiting = this.tickets.waiting(figures.groups.size === 0 ? 1 : WAITERS_CONSIDERED);
      if (waiting.length === 0) return;
      const i = waiterForFreedSeat(figures, freedGroup, waiting.map((t) => t.group_key));
      if (i === null) return;
      // the reservation steers the first seat handed on; any more are seats added or freed together
      freedGroup = null;
      const t = waiting[i]!;
      this.timers.clear("ticket_lapse", t.ticket_id);
      if (this.store.activeSeatOf(t.identity)) {
        // the identity got a seat meanwhile (another launch joined or took one): nothing to wait for
        this.tickets.end(t.ticket_id, "cancelled", now);
        this.ended(t.ticket_id, "cancelled");
        continue;
      }
      const take = decideTake(figures, t.group_key);
      const grant = this.ledger.grant(
        p,
        { kind: "take", identity: t.identity, forgetInstanceOf: null, machineId: t.machine_id, group: t.group_key, overdraft: take.verdict === "take" && take.overdraft },
        {
          user: t.user, machine: t.machine, ...(t.terminal_session === null ? {} : { terminalSession: t.terminal_session }),
          ...(t.client_version === null ? {} : { clientVersion: t.client_version }), generation: p.generation,
          keyHash: p.key_hash, address: t.address,
        },
        now,
      );
      if (take.verdict === "take" && take.overdraft) this.store.recordOverdraft(now, p.in_use - p.seats);
      this.tickets.granted(t.ticket_id, grant.sessionId, grant.seatId, now);
      this.news.moved = true;
      this.news.granted.push(t.ticket_id);
      this.timers.set("ticket_pickup", now + TICKET_PICKUP_MS, t.ticket_id);
      const waitedSeconds = Math.round((now - t.since) / SECOND);
      this.tickets.recordWait(now, waitedSeconds);
      this.store.logEvent(now, {
        type: "granted", seatId: grant.seatId, sessionId: grant.sessionId, user: t.user, machine: t.machine,
        terminalSession: t.terminal_session, details: { ticketId: t.ticket_id, waitedSeconds, group: t.group_key },
      });
    }
  }

  /** Timer: each waiter waiting 5 minutes goes to the `queue.waiting` webhook, once; the timer moves to the next. */
  waitingDue(p: PoolRow, now: number): void {
    for (const t of this.tickets.untoldSince(now - QUEUE_WAITING_MS)) {
      this.tickets.told(t.ticket_id);
      this.webhooks.queueWaiting(p, {
        ticketId: t.ticket_id, user: t.user, machine: t.machine, terminalSession: t.terminal_session, since: iso(t.since),
        waitedSeconds: Math.round((now - t.since) / SECOND), position: this.tickets.position(t.seq), waiting: this.tickets.countWaiting(),
      }, now);
    }
    const next = this.tickets.firstUntold();
    if (next) this.timers.set("queue_waiting", Math.max(now, next.since + QUEUE_WAITING_MS));
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

  waitingCount(): number {
    return this.tickets.countWaiting();
  }

  someoneWaiting(): boolean {
    return this.tickets.firstWaiting() !== undefined;
  }

  waitHours(start: number, end: number) {
    return this.tickets.waitHours(start, end);
  }
}
