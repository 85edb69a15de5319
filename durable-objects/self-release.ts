/**
 * Releasing your own seat from another machine: a full pool tells the user which seats
 * they hold elsewhere (`ownSeats`), and the user may free one with the pool's serial and
 * product key, unless its holder is connected and active. Idleness comes from the live
 * channel's `idle`/`active` messages, kept in each socket's attachment so hibernation keeps it.
 */
import type { OwnSeat } from "../src/contract/schemas.js";
import { foldText } from "../src/contract/text.js";
import { iso } from "./contract-shapes.js";
import type { MeteredSql, Row } from "./metered-sql.js";
import type { SeatRow } from "./pool-store.js";

// the shape is the contract's; the name stays exported here for rooms that took it from this file
export type { OwnSeat };

/** The identity key's prefix that every identity of this user shares (identityKey is a JSON array, user first). */
export function userPrefix(user: string): string {
  return JSON.stringify([foldText(user)]).slice(0, -1) + ",";
}

/** The active seats of a user, by their identity key's prefix. */
export function seatsOfUser(db: MeteredSql, user: string, limit = 20): SeatRow[] {
  const prefix = userPrefix(user);
  return db.all<SeatRow & Row>(
    "SELECT * FROM seats WHERE ended_at IS NULL AND substr(identity, 1, ?) = ? ORDER BY seat_id LIMIT ?", prefix.length, prefix, limit,
  );
}

export function ownSeats(db: MeteredSql, user: string, exceptIdentity: string, connected: (seatId: string) => boolean): OwnSeat[] {
  return seatsOfUser(db, user)
    .filter((s) => s.identity !== exceptIdentity)
    .map((s) => ({
      seatId: s.seat_id, machine: s.machine, terminalSession: s.terminal_session, since: iso(s.since), lastSeenAt: iso(s.last_seen_at),
      connected: connected(s.seat_id),
    }));
}
