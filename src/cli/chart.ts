/** A small bar chart for the terminal: one row per usage bucket, peak seats and denials. */
import type { UsageBucket } from "../client/index.js";

const EIGHTHS = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];

/** A bar `value/scale` of `width` characters, in eighths of a character. */
export function bar(value: number, scale: number, width: number): string {
  if (scale <= 0 || value <= 0) return "";
  const eighths = Math.max(1, Math.round((Math.min(value, scale) / scale) * width * 8));
  return "█".repeat(Math.floor(eighths / 8)) + EIGHTHS[eighths % 8];
}

export function bucketLabel(start: string, bucket: "hour" | "day"): string {
  const iso = new Date(start).toISOString();
  return bucket === "day" ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}

/**
 * Rows such as `2026-11-27 14:00 │████████▌           │  4 │ denied ▒▒ 2`. Peak bars are
 * scaled to the pool's seats (or the highest peak, if that is more), so a full bar is a full pool.
 */
export function usageChart(buckets: UsageBucket[], bucket: "hour" | "day", seats: number, width = 30): string[] {
  const scale = Math.max(seats, ...buckets.map((b) => b.peakInUse), 1);
  const maxDenials = Math.max(...buckets.map((b) => b.denials), 0);
  const digits = String(scale).length;
  const label = bucket === "day" ? 10 : 16;
  const head = `${"".padEnd(label)}  ${`peak seats in use (of ${seats})`.padEnd(width + 2 + digits + 1)}  denied`;
  const rows = buckets.map((b) => {
    const peak = bar(b.peakInUse, scale, width).padEnd(width);
    const denied = b.denials > 0 ? `${"▒".repeat(Math.max(1, Math.round((b.denials / maxDenials) * 10)))} ${b.denials}` : "";
    return `${bucketLabel(b.start, bucket)}  │${peak}│ ${String(b.peakInUse).padStart(digits)}  ${denied}`.trimEnd();
  });
  return [head, ...rows];
}
