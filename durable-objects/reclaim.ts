/**
 * Taking idle seats back for someone waiting. A seat all of whose sessions are idle (the
 * live channel's `idle`, or the heartbeat's `idleSince`) for the pool's
 * `reclaimIdleMinutes`, while someone waits, is warned (`reclaim` with a deadline); at the
 * deadline, still idle and still awaited, its sessions end `reclaimed` and the ledger's
 * free hands the seat to the first waiter in that transaction. A client not connected
 * cannot be warned and is never reclaimed this way.
 *
 * What HTTP clients said of their user is kept in memory, so a beat costs no row; after a
 * restart it is unknown (not idle) until the next beat says it again. The warned seats are
 * the `reclaim` timers keyed by seat; the key "" is the next idle check.
 */
import { MINUTE } from "../src/contract/time.js";
import { iso } from "./contract-shapes.js";
import type { LiveAttachment, LiveChannel } from "./live-channel.js";
import type { PoolRow, PoolStore, SeatRow } from "./pool-store.js";
import type { SeatLedger, SeatListener } from "./seat-ledger.js";
import { PRESENCE_WRITE_WINDOW } from "./stale-expiry.js";
import type { Timers } from "./timers.js";

/** An HTTP client is taken as connected, and its idle state as true, this long after its last beat. */
export const BEAT_TRUSTED_MS = PRESENCE_WRITE_WINDOW;
/** The timer key of the next idle check; every other `reclaim` key is a warned seat's deadline. */
const CHECK = "";

/** What an HTTP client's last beat said: its seat, since when its user is idle (null: in use), and when. */
interface Beat {
  seatId: string;
  idleSince: number | null;
  at: number;
}

export class Reclaim implements SeatListener {
  private readonly beats = new Map<string, Beat>();
  /** Seats sent `reclaim` whose deadline has not come: their timers, read once on load. */
  private warned = new Set<string>();

  constructor(
    private readonly store: PoolStore,
    private readonly ledger: SeatLedger,
    private readonly timers: Timers,
    private readonly live: LiveChannel,
    /** How many wait for a seat: no more seats are warned than that. */
    private readonly waiting: () => number,
  ) {}

  load(): void {
    this.warned = new Set(this.timers.keys("reclaim").filter((key) => key !== CHECK));
  }

  /**
   * A heartbeat, in memory only: `idleSince` undefined says nothing new of the user. Answers
   * whether the seat's idle state changed, the one case that is worth a review (and a write).
   */
  beat(sessionId: string, seatId: string, idleSince: number | null | undefined, now: number): boolean {
    const before = this.beats.get(sessionId);
    const was = before !== undefined && now - before.at <= BEAT_TRUSTED_MS ? before.idleSince : null;
    const next = idleSince === undefined ? (before?.idleSince ?? null) : idleSince === null ? null : Math.min(idleSince, now);
    this.beats.set(sessionId, { seatId, idleSince: next, at: now });
    return was !== next;
  }

  /** Since when every session of the seat is idle (the latest of their idle times), or null while one is in use or unheard of. */
  seatIdleSince(seatId: string, now: number): number | null {
    const sessions = this.store.activeSessionsOf([seatId]);
    if (sessions.length === 0) return null;
    let latest = 0;
    for (const s of sessions) {
      const since = this.sessionIdleSince(s.session_id, now);
      if (since === null) return null;
      latest = Math.max(latest, since);
    }
    return latest;
  }

  private sessionIdleSince(sessionId: string, now: number): number | null {
    const sockets = this.live.sessionSockets(sessionId);
    if (sockets.length > 0) {
      let latest = 0;
      for (const ws of sockets) {
        const since = (ws.deserializeAttachment() as LiveAttachment | null)?.idleSince;
        if (since === undefined) return null;
        latest = Math.max(latest, since);
      }
      return latest;
    }
    const b = this.beats.get(sessionId);
    return b !== undefined && now - b.at <= BEAT_TRUSTED_MS ? b.idleSince : null;
  }

  /** Seats a client can be told of: those with a channel open or a recent beat (stale beats are forgotten here). */
  private candidates(now: number): Set<string> {
    const seats = new Set(this.live.seatIds());
    for (const [sessionId, b] of this.beats) {
      if (now - b.at > BEAT_TRUSTED_MS) this.beats.delete(sessionId);
      else seats.add(b.seatId);
    }
    return seats;
  }

  /**
   * Looks at the seats (every candidate, or the one whose idle state changed), inside a
   * transaction: warns those idle long enough, cancels warnings no longer due, and sets
   * the next check. With reclaim off or nobody waiting, every warning is cancelled.
   */
  review(p: PoolRow, now: number, seatId?: string): void {
    if (p.reclaim_idle_minutes === null || this.waiting() === 0) {
      this.cancelAll();
      return;
    }
    const idleMs = p.reclaim_idle_minutes * MINUTE;
    let next = Infinity;
    for (const id of seatId === undefined ? this.candidates(now) : [seatId]) {
      const seat = this.store.activeSeat(id);
      const since = seat ? this.seatIdleSince(id, now) : null;
      if (since === null) {
        if (this.warned.has(id)) this.cancel(id);
        continue;
      }
      if (this.warned.has(id)) continue;
      if (since + idleMs > now) next = Math.min(next, since + idleMs);
      // a seat for each waiter, no more: two idle seats are not both taken for one person (a take serves its waiter at once)
      else if (this.warned.size < this.waiting()) this.warn(p, seat!, now);
      else next = Math.min(next, now + MINUTE);
    }
    const current = this.store.timer("reclaim", CHECK)?.due_at;
    if (next !== Infinity && (seatId === undefined || current === undefined || next < current)) this.timers.set("reclaim", next, CHECK);
    else if (next === Infinity && seatId === undefined && current !== undefined) this.timers.clear("reclaim", CHECK);
  }

  /** `reclaim` to the seat's channels; the seat ends at the deadline (at once with no grace). */
  private warn(p: PoolRow, seat: SeatRow, now: number): void {
    const deadline = now + p.reclaim_grace_minutes * MINUTE;
    this.live.later(seat.seat_id, { type: "reclaim", deadline: iso(deadline), reason: "waiting" });
    if (deadline <= now) {
      this.take(p, seat, now);
      return;
    }
    this.warned.add(seat.seat_id);
    this.timers.set("reclaim", deadline, seat.seat_id);
  }

  /** Timer: the next idle check (key ""), or a warned seat's deadline. */
  timerFired(p: PoolRow, key: string, now: number): void {
    if (key === CHECK) {
      this.review(p, now);
      return;
    }
    if (!this.warned.delete(key)) return;
    const seat = this.store.activeSeat(key);
    if (!seat) return;
    if (p.reclaim_idle_minutes === null || this.waiting() === 0 || this.seatIdleSince(key, now) === null) {
      this.live.later(key, { type: "reclaim_cancelled" });
      return;
    }
    this.take(p, seat, now);
  }

  /** Ends the seat `reclaimed`; the ledger's free gives it to the first waiter in this transaction. */
  private take(p: PoolRow, seat: SeatRow, now: number): void {
    const idleSince = this.seatIdleSince(seat.seat_id, now);
    this.ledger.endSeat(p, seat, "reclaimed", { type: "reclaimed", details: { idleSince: idleSince === null ? null : iso(idleSince) } }, now);
    this.live.later(seat.seat_id, { type: "ended", reason: "reclaimed" }, "reclaimed");
  }

  private cancel(seatId: string): void {
    this.warned.delete(seatId);
    this.timers.clear("reclaim", seatId);
    this.live.later(seatId, { type: "reclaim_cancelled" });
  }

  private cancelAll(): void {
    for (const id of [...this.warned]) this.cancel(id);
    if (this.timers.has("reclaim", CHECK)) this.timers.clear("reclaim", CHECK);
  }

  /** Some seat was told `reclaim` and not yet taken or let off. */
  hasWarnings(): boolean {
    return this.warned.size > 0;
  }

  // ---- told by the ledger ----------------------------------------------------

  seatEnded(_p: PoolRow, seat: SeatRow): void {
    if (this.warned.delete(seat.seat_id)) this.timers.clear("reclaim", seat.seat_id);
  }

  allEnded(): void {
    for (const id of this.warned) this.timers.clear("reclaim", id);
    this.warned.clear();
    this.beats.clear();
  }
}
