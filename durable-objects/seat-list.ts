/**
 * The seat list, a page at a time: who is using the pool, oldest first, optionally only
 * the seats whose user or machine contains a search term (compared as identities are).
 * Seat ids begin with their creation time, so a page walks the primary key.
 */
import type { Seat } from "../src/contract/schemas.js";
import { foldText } from "../src/contract/text.js";
import { iso, seatList } from "./contract-shapes.js";
import type { PoolRow, PoolStore } from "./pool-store.js";

const DEFAULT_PAGE = 100;

export interface SeatsPage {
  limit?: number;
  /** The `next` of the page before. */
  cursor?: string;
  q?: string;
}

/** A LIKE pattern over the folded identity key for a search term, folded the same way. */
function identityPattern(q: string): string {
  const folded = JSON.stringify(foldText(q)).slice(1, -1);
  return `%${folded.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** What the pool object knows of a seat's clients beyond its rows: a channel open, and since when all its sessions are idle (ms or null). */
export interface SeatPresence {
  connected(seatId: string): boolean;
  idleSince(seatId: string): number | null;
}

export function seatPage(store: PoolStore, p: PoolRow, page: SeatsPage, presence?: SeatPresence): { seats: Seat[]; next: string | null; total: number } {
  const limit = page.limit ?? DEFAULT_PAGE;
  const match = page.q === undefined || page.q.trim() === "" ? undefined : identityPattern(page.q);
  const rows = store.activeSeatsPage(limit + 1, page.cursor, match);
  const more = rows.length > limit;
  const seats = more ? rows.slice(0, limit) : rows;
  const listed = seatList(seats, store.activeSessionsOf(seats.map((r) => r.seat_id)), store.borrowsOf(seats.map((r) => r.seat_id)));
  return {
    seats: presence === undefined ? listed : listed.map((s) => {
      const idle = presence.idleSince(s.seatId);
      return { ...s, connected: presence.connected(s.seatId), idleSince: idle === null ? null : iso(idle) };
    }),
    next: more ? seats[seats.length - 1]!.seat_id : null,
    // without a search, the in-use counter is the count
    total: match === undefined ? p.in_use : store.countActiveSeatsMatching(match),
  };
}
