/**
 * The seat list, a page at a time: who is using the pool, oldest first, optionally only
 * the seats whose user or machine contains a search term (compared as identities are).
 * Seat ids begin with their creation time, so a page walks the primary key.
 */
import type { Seat } from "../src/contract/schemas.js";
import { foldText } from "../src/contract/text.js";
import { seatList } from "./contract-shapes.js";
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

export function seatPage(store: PoolStore, p: PoolRow, page: SeatsPage): { seats: Seat[]; next: string | null; total: number } {
  const limit = page.limit ?? DEFAULT_PAGE;
  const match = page.q === undefined || page.q.trim() === "" ? undefined : identityPattern(page.q);
  const rows = store.activeSeatsPage(limit + 1, page.cursor, match);
  const more = rows.length > limit;
  const seats = more ? rows.slice(0, limit) : rows;
  return {
    seats: seatList(seats, store.activeSessionsOf(seats.map((r) => r.seat_id)), store.borrowsOf(seats.map((r) => r.seat_id))),
    next: more ? seats[seats.length - 1]!.seat_id : null,
    // without a search, the in-use counter is the count
    total: match === undefined ? p.in_use : store.countActiveSeatsMatching(match),
  };
}
