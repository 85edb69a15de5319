/**
 * Seat advice: how many seats a pool should have, as a pure function of its hourly usage
 * (the rule is written out in docs/advice.md). Recurring denials (on 3 or more days) ask
 * for more seats; denials on one or two busy days do not; a pool that never came near
 * full is offered its peak plus one seat of headroom.
 */
import type { UsageBucket } from "../src/contract/schemas.js";

export interface AdviceBasis {
  days: number;
  peakInUse: number;
  p95InUse: number;
  hoursAtFull: number;
  denials: number;
  deniedHours: number;
  /** Waits in the queue and the longest, once the queue records them (0 until then). */
  waits: number;
  maxWaitSeconds: number;
}

export interface SeatAdvice {
  seats: number;
  recommendedSeats: number;
  basis: AdviceBasis;
  message: string;
}

/** Denials on at least this many distinct days are a pattern, not a busy day. */
export const RECURRING_DENIAL_DAYS = 3;

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The 95th percentile (nearest rank) of the hours in which any seat was in use. */
function p95(values: number[]): number {
  const used = values.filter((v) => v > 0).sort((a, b) => a - b);
  if (used.length === 0) return 0;
  return used[Math.ceil(0.95 * used.length) - 1]!;
}

export function adviseSeats(
  seats: number, days: number, hours: Pick<UsageBucket, "start" | "peakInUse" | "denials">[], queue: { waits: number; maxWaitSeconds: number } = { waits: 0, maxWaitSeconds: 0 },
): SeatAdvice {
  const peakInUse = Math.max(0, ...hours.map((h) => h.peakInUse));
  const denied = hours.filter((h) => h.denials > 0);
  const basis: AdviceBasis = {
    days,
    peakInUse,
    p95InUse: p95(hours.map((h) => h.peakInUse)),
    hoursAtFull: hours.filter((h) => seats > 0 && h.peakInUse >= seats).length,
    denials: denied.reduce((n, h) => n + h.denials, 0),
    deniedHours: denied.length,
    waits: queue.waits,
    maxWaitSeconds: queue.maxWaitSeconds,
  };
  const deniedDays = new Set(denied.map((h) => h.start.slice(0, 10))).size;
  const inDays = `in ${plural(days, "day")}`;

  if (deniedDays >= RECURRING_DENIAL_DAYS) {
    const extra = Math.max(1, Math.round(basis.denials / basis.deniedHours));
    return {
      seats, basis, recommendedSeats: seats + extra,
      message: `${plural(basis.denials, "person", "people")} were turned away in ${plural(basis.deniedHours, "working hour")} at full use, on ${deniedDays} different days ${inDays}. ${plural(extra, "more seat")} would have served them.`,
    };
  }
  if (basis.denials > 0) {
    return {
      seats, basis, recommendedSeats: seats,
      message: `${plural(basis.denials, "person", "people")} ${basis.denials === 1 ? "was" : "were"} turned away, but only on ${plural(deniedDays, "day")} ${inDays}; most of the time use stayed at or below ${basis.p95InUse} of ${seats} seats. Keep ${plural(seats, "seat")}: buying more for a rare busy day is not worth it.`,
    };
  }
  if (peakInUse === 0 && seats > 1) {
    return {
      seats, basis, recommendedSeats: 1,
      message: `No seat was used ${inDays}. One seat would have served everyone; check that the pool is still needed.`,
    };
  }
  if (peakInUse + 1 < seats) {
    const recommended = Math.max(1, peakInUse + 1);
    return {
      seats, basis, recommendedSeats: recommended,
      message: `Use never went above ${peakInUse} of ${seats} seats ${inDays}, and no one was turned away. ${plural(recommended, "seat")} would have served everyone with one to spare.`,
    };
  }
  return {
    seats, basis, recommendedSeats: seats,
    message: `Use reached ${peakInUse} of ${seats} seats ${inDays} and no one was turned away: ${plural(seats, "seat")} is the right number.`,
  };
}
