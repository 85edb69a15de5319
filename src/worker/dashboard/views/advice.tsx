/** Seat advice beside the usage chart: how many seats the pool should have, why, and the figures it was judged on (docs/advice.md). */
import type { AdviceResponse } from "../../../contract/schemas.js";
import { plural } from "./format.js";

/** "2 h 5 min", "40 s": the longest wait in the queue. */
function duration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const m = Math.round(seconds / 60);
  return m < 60 ? `${m} min` : `${Math.floor(m / 60)} h${m % 60 ? ` ${m % 60} min` : ""}`;
}

/** The verdict in a few words: more, fewer, or keep. */
function verdict(a: AdviceResponse): string {
  const change = a.recommendedSeats - a.seats;
  if (change > 0) return `Recommended: ${plural(a.recommendedSeats, "seat")}, ${change} more than now`;
  if (change < 0) return `Recommended: ${plural(a.recommendedSeats, "seat")}, ${-change} fewer than now`;
  return `Recommended: keep ${plural(a.seats, "seat")}`;
}

/** The figures of `basis` in one compact line. */
export function adviceBasis(a: AdviceResponse): string {
  const b = a.basis;
  const parts = [
    `peak ${b.peakInUse} of ${a.seats} in use`,
    `95% of busy hours at or below ${b.p95InUse}`,
    `${plural(b.hoursAtFull, "hour")} at full use`,
    `${plural(b.denials, "person", "people")} turned away in ${plural(b.deniedHours, "hour")}`,
  ];
  if (b.waits > 0) parts.push(`${plural(b.waits, "wait")} in the queue, the longest ${duration(b.maxWaitSeconds)}`);
  return `Last ${plural(b.days, "day")}: ${parts.join(" · ")}.`;
}

export function SeatAdvice(props: { advice: AdviceResponse | null | undefined; isVendor: boolean }) {
  const a = props.advice;
  if (!a) return null;
  return (
    <aside class="advice" aria-labelledby="advice-title" id="advice">
      <h3 id="advice-title">Seat advice</h3>
      <p class="advice-verdict"><strong>{verdict(a)}</strong></p>
      <p class="advice-message">{a.message}</p>
      <p class="help advice-basis">{adviceBasis(a)}</p>
      {!props.isVendor && a.recommendedSeats !== a.seats ? (
        <p class="help">The number of seats is your vendor's to change: ask their sales team.</p>
      ) : null}
    </aside>
  );
}
