/**
 * Borrowing a seat to work offline (shared/api.md): a session's seat is kept for some
 * days whatever happens to its client, then ends `expired` on its `borrow` timer. One row
 * of `borrows` per borrowed seat; the limit is counted over those rows inside the pool
 * object's one transaction, so concurrent borrows can never pass `maxBorrowedSeats`.
 */
import { DAY } from "../src/contract/time.js";
import { messages } from "../src/contract/messages.js";
import { iso, seatIdentity } from "./contract-shapes.js";
import { failure, type Outcome } from "./outcome.js";
import type { PoolRow, PoolStore, SeatRow } from "./pool-store.js";
import type { SeatLedger } from "./seat-ledger.js";
import type { Timers } from "./timers.js";

export interface BorrowGrant {
  until: number;
  seatId: string;
  user: string;
  machine: string;
  /** The folded machine id the seat was taken with, when the client sent one. */
  machineId: string | null;
}

export class Borrowing {
  constructor(
    private readonly store: PoolStore,
    private readonly ledger: SeatLedger,
    private readonly timers: Timers,
  ) {}

  /** Whether a seat is borrowed: stale expiry leaves it alone until its `until`. */
  holds(seatId: string): boolean {
    return this.store.borrowOfSeat(seatId) !== undefined;
  }

  /** Borrows the active session's seat for `days`; borrowing again moves `until` and counts once. */
  borrow(p: PoolRow, sessionId: string, seat: SeatRow, days: number, now: number): Outcome<BorrowGrant> {
    if (p.max_borrow_days === null || days > p.max_borrow_days) {
      return failure("borrow_not_allowed", p.max_borrow_days === null ? messages.borrowOff : messages.borrowTooLong(p.max_borrow_days), {
        maxBorrowDays: p.max_borrow_days,
      });
    }
    const already = this.store.borrowOfSeat(seat.seat_id);
    if (!already && p.max_borrowed_seats !== null && this.store.countBorrows() >= p.max_borrowed_seats) {
      return failure("borrow_limit", messages.borrowLimit(p.max_borrowed_seats), { max: p.max_borrowed_seats });
    }
    // whole seconds, so `until` and the lease's `exp` are the same instant
    const until = Math.floor((now + days * DAY) / 1000) * 1000;
    this.store.setBorrow({ seat_id: seat.seat_id, session_id: sessionId, until });
    this.timers.set("borrow", until, seat.seat_id);
    this.store.logEvent(now, { type: "borrowed", seatId: seat.seat_id, sessionId, ...seatIdentity(seat), details: { days, until: iso(until) } });
    return { ok: true, until, seatId: seat.seat_id, user: seat.user, machine: seat.machine, machineId: seat.machine_id };
  }

  /** After a release: the borrowing session's release is the early return. */
  released(sessionId: string, seat: SeatRow, now: number): void {
    const b = this.store.borrowOfSeat(seat.seat_id);
    if (!b || b.session_id !== sessionId) return;
    this.forget(seat.seat_id);
    this.store.logEvent(now, { type: "returned", seatId: seat.seat_id, sessionId, ...seatIdentity(seat), details: { until: iso(b.until) } });
  }

  /** After a seat ended otherwise (an admin's free, a revocation): its borrow goes with it. */
  seatsEnded(): void {
    for (const seatId of this.store.dropEndedBorrows()) this.timers.clear("borrow", seatId);
  }

  /** The `borrow` timer: the seat comes back at `until`, its sessions ended `expired`. Idempotent. */
  expire(p: PoolRow, seatId: string, now: number): void {
    const b = this.store.borrowOfSeat(seatId);
    if (!b) return;
    if (b.until > now) {
      this.timers.set("borrow", b.until, seatId);
      return;
    }
    this.forget(seatId);
    const seat = this.store.activeSeat(seatId);
    if (seat) this.ledger.endSeat(p, seat, "expired", { type: "expired", details: { borrowedUntil: iso(b.until) } }, now);
  }

  private forget(seatId: string): void {
    this.store.deleteBorrow(seatId);
    this.timers.clear("borrow", seatId);
  }
}
