/**
 * Rows into the contract's shapes: the one place that knows both the store's columns and
 * the answers' fields, so neither the SQL nor the RPC face maps them by hand.
 */
import type { EndReason } from "../src/contract/errors.js";
import type { PoolSummary, Seat, SsoSettings, UsageBucket } from "../src/contract/schemas.js";
import { DAY, HOUR } from "../src/contract/time.js";
import type { BorrowRow, EventRow, PoolRow, PoolStore, SeatRow, SessionRow, UsageRow } from "./pool-store.js";
import type { PoolState, SessionView, StoredEvent } from "./rpc-types.js";

export const iso = (ms: number) => new Date(ms).toISOString();

export function poolSummary(p: PoolRow): PoolSummary {
  return { poolId: p.pool_id, seats: p.seats, inUse: p.in_use };
}

/** The pool's single sign-on as answers show it: never the client secret. */
function ssoView(sso: string | null): PoolState["sso"] {
  if (sso === null) return null;
  const { clientSecret: _secret, ...shown } = JSON.parse(sso) as SsoSettings;
  return shown;
}

/** `groups` are the policy room's figures (they need its in-memory counts), or null for none. */
export function poolState(p: PoolRow, groups: PoolState["groups"] = null): PoolState {
  return {
    poolId: p.pool_id,
    customer: p.customer,
    seats: p.seats,
    inUse: p.in_use,
    generation: p.generation,
    minClientVersion: p.min_client_version,
    staleAfterHours: p.stale_after_hours,
    maxSessionsPerSeat: p.max_sessions_per_seat,
    maxAddressesPerSeat: p.max_addresses_per_seat,
    refuseWidelySharedSeats: p.refuse_widely_shared_seats === 1,
    maxBorrowDays: p.max_borrow_days ?? null,
    maxBorrowedSeats: p.max_borrowed_seats ?? null,
    sso: ssoView(p.sso),
    selfRelease: p.self_release === 1,
    createdAt: iso(p.created_at),
    validFrom: p.valid_from === null ? null : iso(p.valid_from),
    validUntil: p.valid_until === null ? null : iso(p.valid_until),
    overdraftSeats: p.overdraft_seats,
    blocked: p.blocked === null ? null : JSON.parse(p.blocked),
    groups,
    region: p.region,
    locationHint: p.location_hint,
    retentionDays: p.retention_days,
    alertThresholdPercent: p.alert_threshold_percent,
    reclaimIdleMinutes: p.reclaim_idle_minutes,
    reclaimGraceMinutes: p.reclaim_grace_minutes,
  };
}

/** The identity a seat row holds, as events and answers name it. */
export function seatIdentity(seat: Pick<SeatRow, "user" | "machine" | "terminal_session">) {
  return { user: seat.user, machine: seat.machine, terminalSession: seat.terminal_session };
}

export function sessionView(s: SessionRow, seat: SeatRow): SessionView {
  return {
    sessionId: s.session_id,
    seatId: s.seat_id,
    ...seatIdentity(seat),
    clientVersion: s.client_version,
    startedAt: iso(s.started_at),
    lastSeenAt: iso(s.last_seen_at),
    active: s.ended_at === null,
    endedAt: s.ended_at === null ? null : iso(s.ended_at),
    reason: s.end_reason satisfies EndReason | null,
  };
}

/** Active seats with their active sessions, in the seats' order. */
export function seatList(seats: SeatRow[], sessions: SessionRow[], borrows: BorrowRow[] = []): Seat[] {
  const until = new Map(borrows.map((b) => [b.seat_id, b.until]));
  const bySeat = new Map<string, Seat>();
  const out = seats.map((s) => {
    const seat: Seat = {
      seatId: s.seat_id, ...seatIdentity(s), since: iso(s.since), lastSeenAt: iso(s.last_seen_at), sessions: [],
      sharedFromAddresses: s.shared_widely === 1,
      borrowedUntil: until.has(s.seat_id) ? iso(until.get(s.seat_id)!) : null,
      group: s.group_key ?? null,
    };
    bySeat.set(s.seat_id, seat);
    return seat;
  });
  for (const r of sessions) {
    bySeat.get(r.seat_id)?.sessions.push({
      sessionId: r.session_id,
      clientVersion: r.client_version,
      startedAt: iso(r.started_at),
      lastSeenAt: iso(r.last_seen_at),
    });
  }
  return out;
}

/** An event as it crosses RPC: `details` stays JSON text (an `unknown` would not survive the stub's types); the Worker parses it. */
function storedEvent(r: EventRow): StoredEvent {
  return {
    id: String(r.id),
    at: iso(r.at),
    type: r.type,
    actor: r.actor,
    seatId: r.seat_id,
    sessionId: r.session_id,
    user: r.user,
    machine: r.machine,
    terminalSession: r.terminal_session,
    details: r.details,
  };
}

/** A page of events and the cursor of the next, when this page was full. */
export function eventPage(rows: EventRow[], limit: number): { events: StoredEvent[]; next: string | null } {
  return { events: rows.map(storedEvent), next: rows.length === limit ? String(rows[rows.length - 1]!.id) : null };
}

function bucketSize(bucket: "hour" | "day"): number {
  return bucket === "hour" ? HOUR : DAY;
}

/**
 * Buckets from `start` to `end` (both already floored to the bucket size, inclusive) from
 * the hours that saw a change; quiet buckets carry `level`, the level of the hour before.
 */
function usageBuckets(rows: UsageRow[], level: number, start: number, end: number, bucket: "hour" | "day"): UsageBucket[] {
  const size = bucketSize(bucket);
  const out: UsageBucket[] = [];
  let i = 0;
  for (let b = start; b <= end; b += size) {
    const bucketOut: UsageBucket = { start: iso(b), peakInUse: level, checkouts: 0, denials: 0, waits: 0, maxWaitSeconds: 0 };
    while (i < rows.length && rows[i]!.hour < b + size) {
      const r = rows[i++]!;
      bucketOut.peakInUse = Math.max(bucketOut.peakInUse, r.peak_in_use);
      bucketOut.checkouts += r.checkouts;
      bucketOut.denials += r.denials;
      bucketOut.waits = (bucketOut.waits ?? 0) + r.waits;
      bucketOut.maxWaitSeconds = Math.max(bucketOut.maxWaitSeconds ?? 0, r.max_wait_seconds);
      level = r.last_in_use;
    }
    out.push(bucketOut);
  }
  return out;
}

/** Usage buckets from `from` to `to` (ms, inclusive), oldest first, read from the store's hours. */
/** `inUse` is the live level, which the newest stored hour may lag behind (see `PoolStore.recordUsage`). */
export function usageReport(store: PoolStore, from: number, to: number, bucket: "hour" | "day", inUse: number): UsageBucket[] {
  const size = bucketSize(bucket);
  const start = Math.floor(from / size) * size;
  const end = Math.floor(to / size) * size;
  const buckets = usageBuckets(store.usageHours(start, end + size, inUse), store.levelBefore(start, inUse), start, end, bucket);
  // pool policy: each bucket's most overdraft seats, from the hours that granted any
  for (const b of buckets) b.overdraftPeak = 0;
  for (const o of store.overdraftHours(start, end + size)) {
    const b = buckets[Math.floor((o.hour - start) / size)];
    if (b) b.overdraftPeak = Math.max(b.overdraftPeak!, o.peak);
  }
  return buckets;
}
