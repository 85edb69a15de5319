/**
 * Stale-seat expiry, for pools that ask for it (`staleAfterHours`): a seat not seen for
 * that long ends with reason `expired`. One timer, due when the seat seen longest ago
 * turns stale; when it fires it ends what is stale and sets itself for the next.
 * By default a seat never expires: a client that went offline keeps its seat.
 */
import { HOUR, MINUTE } from "../src/contract/time.js";
import { iso } from "./contract-shapes.js";
import type { PoolRow, PoolStore } from "./pool-store.js";
import type { SeatLedger, SeatListener } from "./seat-ledger.js";
import type { Timers } from "./timers.js";

/** Seats ended by one run; the rest are left to the next run, which the timer makes immediate. */
const BATCH = 1000;

/**
 * HTTP heartbeats write last-seen at most this often per session. The shortest stale
 * period is an hour, four windows, so a client that stops beating is expired at most a
 * quarter of the period early, and one that keeps beating never.
 */
export const PRESENCE_WRITE_WINDOW = 15 * MINUTE;

export class StaleExpiry implements SeatListener {
  constructor(
    private readonly store: PoolStore,
    private readonly ledger: SeatLedger,
    private readonly timers: Timers,
    /** Whether a client of the seat holds its live channel open: presence, so the seat is not stale. */
    private readonly connected: (seatId: string) => boolean,
  ) {}

  /** After a seat was taken: make sure a timer is set (one already set is due no later than this seat). */
  seatTaken(p: PoolRow): void {
    if (p.stale_after_hours !== null && !this.timers.has("stale")) this.reschedule(p);
  }

  /** The timer at the next expiry, or none when nothing can expire. */
  reschedule(p: PoolRow): void {
    const oldest = p.stale_after_hours === null ? null : this.store.oldestActiveLastSeen();
    if (oldest === null || p.stale_after_hours === null) this.timers.clear("stale");
    else this.timers.set("stale", oldest + p.stale_after_hours * HOUR);
  }

  /** The timer's handler: ends every seat unseen for longer than the pool allows, then sets the next. */
  expire(p: PoolRow, now: number): void {
    const hours = p.stale_after_hours;
    if (hours !== null) {
      const stale = this.store.staleSeats(now - hours * HOUR, BATCH);
      for (const seat of stale) {
        // an open channel is presence: seen now, written once a stale period rather than on every beat
        if (this.connected(seat.seat_id)) {
          this.store.touchSeat(seat.seat_id, now);
          continue;
        }
        this.ledger.endSeat(p, seat, "expired", {
          type: "expired",
          details: { lastSeenAt: iso(seat.last_seen_at), staleAfterHours: hours },
        }, now);
      }
      if (stale.length === BATCH) {
        this.timers.set("stale", now);
        return;
      }
    }
    this.reschedule(p);
  }
}
