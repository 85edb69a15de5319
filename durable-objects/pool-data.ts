/**
 * A pool's data as its customer may ask for it (issue 15): everything it holds, a page at
 * a time for an export, and one person's names erased from what has ended. Its own SQL
 * lives here, apart from the seat ledger's; it reads the same tables.
 */
import type { ExportEventRecord, ExportSeatRecord, ExportSessionRecord, ExportUsageRecord } from "../src/contract/schemas.js";
import { foldText } from "../src/contract/text.js";
import { eventPage, iso, seatIdentity } from "./contract-shapes.js";
import type { EventRow, SeatRow, SessionRow, UsageRow } from "./pool-store.js";
import type { MeteredSql, Row } from "./metered-sql.js";

/** What an export walks after the pool itself, in this order, each by its primary key. */
export const exportKinds = ["seat", "session", "event", "usage"] as const;
export type ExportKind = (typeof exportKinds)[number];

/** An event crosses RPC with `details` as JSON text, as the audit log's do; the Worker parses it. */
export type StoredExportEvent = Omit<ExportEventRecord, "details"> & { details: string | null };
export type ExportRow = ExportSeatRecord | ExportSessionRecord | StoredExportEvent | ExportUsageRecord;

/** What erased names read as, in every answer and in the tables. */
export const ERASED = "erased";

export interface Erasure {
  seats: number;
  sessions: number;
  events: number;
  /** Ended queue tickets. */
  tickets: number;
  /** Webhook deliveries whose payload named the person. */
  deliveries: number;
}


/** Rows read per erasure step: the events are folded in JS, as names are compared, a page at a time. */
const ERASE_PAGE = 1000;

export class PoolData {
  constructor(private readonly db: MeteredSql) {}

  /** One page of one kind after the cursor `after` (a key of that kind); `next` is null after the last. */
  page(kind: ExportKind, after: string | null, limit: number): { records: ExportRow[]; next: string | null } {
    const records = this.rows(kind, after, limit);
    const last = records.at(-1);
    return { records, next: records.length === limit && last ? cursorOf(last) : null };
  }

  private rows(kind: ExportKind, after: string | null, limit: number): ExportRow[] {
    switch (kind) {
      case "seat":
        return this.db.all<SeatRow & Row>("SELECT * FROM seats WHERE seat_id > ? ORDER BY seat_id LIMIT ?", after ?? "", limit)
          .map((s) => ({
            kind: "seat" as const, seatId: s.seat_id, ...seatIdentity(s), machineId: s.machine_id, since: iso(s.since),
            lastSeenAt: iso(s.last_seen_at), endedAt: s.ended_at === null ? null : iso(s.ended_at), sessions: s.sessions,
            sharedFromAddresses: s.shared_widely === 1,
          }));
      case "session":
        return this.db.all<SessionRow & Row>("SELECT * FROM sessions WHERE session_id > ? ORDER BY session_id LIMIT ?", after ?? "", limit)
          .map((s) => ({
            kind: "session" as const, sessionId: s.session_id, seatId: s.seat_id, instance: s.instance, clientVersion: s.client_version,
            address: s.address, startedAt: iso(s.started_at), lastSeenAt: iso(s.last_seen_at),
            endedAt: s.ended_at === null ? null : iso(s.ended_at), reason: s.end_reason,
          }));
      case "event": {
        const rows = this.db.all<EventRow & Row>("SELECT * FROM events WHERE id > ? ORDER BY id LIMIT ?", Number(after ?? 0), limit);
        return eventPage(rows, limit).events.map((e) => ({ kind: "event" as const, ...e }));
      }
      case "usage":
        return this.db.all<UsageRow & Row>("SELECT * FROM usage_hours WHERE hour > ? ORDER BY hour LIMIT ?", Number(after ?? -1), limit)
          .map((u) => ({
            kind: "usage" as const, hour: iso(u.hour), peakInUse: u.peak_in_use, lastInUse: u.last_in_use, checkouts: u.checkouts, denials: u.denials,
          }));
    }
  }

  /**
   * Replaces one person's names (user, and machine when given, compared as identities are)
   * with `erased` in ended seats and in events, and drops the client addresses of those
   * seats' ended sessions and of those events. Active seats are left as they are: they
   * still hold a seat. Call inside a transaction.
   */
  erase(user: string, machine: string | undefined): Erasure {
    const u = foldText(user);
    const m = machine === undefined ? null : foldText(machine);
    const seatIds = this.db.all<{ seat_id: string }>(
        `UPDATE seats SET user = ?1, machine = ?1, terminal_session = NULL, machine_id = NULL, identity = ?1 || ':' || seat_id
         WHERE ended_at IS NOT NULL AND json_valid(identity) AND json_extract(identity, '$[0]') = ?2
           AND (?3 IS NULL OR json_extract(identity, '$[1]') = ?3)
         RETURNING seat_id`,
        ERASED, u, m,
      )
      .map((r) => r.seat_id);
    const sessions = seatIds.length === 0 ? 0 : this.db.all(
      `UPDATE sessions SET address = NULL
       WHERE ended_at IS NOT NULL AND address IS NOT NULL AND seat_id IN (SELECT value FROM json_each(?)) RETURNING 1`,
      JSON.stringify(seatIds),
    ).length;
    let events = 0;
    for (let after = 0; ;) {
      const rows = this.db.all<{ id: number; user: string; machine: string | null }>(
          "SELECT id, user, machine FROM events WHERE id > ? AND user IS NOT NULL ORDER BY id LIMIT ?", after, ERASE_PAGE,
        );
      for (const r of rows) {
        if (foldText(r.user) !== u || (m !== null && foldText(r.machine ?? "") !== m)) continue;
        this.db.run(
          `UPDATE events SET user = ?, machine = ?, terminal_session = NULL,
             details = CASE WHEN json_type(details, '$.address') IS NULL THEN details ELSE json_remove(details, '$.address') END
           WHERE id = ?`,
          ERASED, ERASED, r.id,
        );
        events++;
      }
      if (rows.length < ERASE_PAGE) break;
      after = rows.at(-1)!.id;
    }
    // queue tickets that have ended (granted, lapsed, cancelled) keep who waited: erased too; a waiting one is like an active seat
    const tickets = this.db.all(
      `UPDATE tickets SET user = ?1, machine = ?1, terminal_session = NULL, machine_id = NULL, address = NULL, identity = ?1 || ':' || ticket_id
       WHERE state <> 'waiting' AND json_valid(identity) AND json_extract(identity, '$[0]') = ?2
         AND (?3 IS NULL OR json_extract(identity, '$[1]') = ?3) RETURNING 1`,
      ERASED, u, m,
    ).length;
    // webhook payloads name who a seat or a wait was: the delivery log's and the vendor outbox's (the outbox is not counted, it becomes deliveries)
    const deliveries = this.erasePayloads("deliveries", u, m);
    this.erasePayloads("vendor_outbox", u, m);
    return { seats: seatIds.length, sessions, events, tickets, deliveries };
  }

  /** Replaces the names in the `data` of each webhook payload of `table` that names this person; answers how many changed. */
  private erasePayloads(table: "deliveries" | "vendor_outbox", u: string, m: string | null): number {
    let changed = 0;
    for (const r of this.db.all<{ id: string; payload: string }>(`SELECT id, payload FROM ${table} WHERE json_extract(payload, '$.data.user') IS NOT NULL`)) {
      const payload = JSON.parse(r.payload) as { data: { user: string; machine?: string | null; terminalSession?: string | null } };
      const d = payload.data;
      if (foldText(d.user) !== u || (m !== null && foldText(d.machine ?? "") !== m)) continue;
      payload.data = { ...d, user: ERASED, ...("machine" in d ? { machine: ERASED } : {}), ...("terminalSession" in d ? { terminalSession: null } : {}) };
      this.db.run(`UPDATE ${table} SET payload = ? WHERE id = ?`, JSON.stringify(payload), r.id);
      changed++;
    }
    return changed;
  }
}

function cursorOf(r: ExportRow): string {
  switch (r.kind) {
    case "seat": return r.seatId;
    case "session": return r.sessionId;
    case "event": return r.id;
    case "usage": return String(Date.parse(r.hour));
  }
}
