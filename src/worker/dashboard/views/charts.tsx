/**
 * The pool page's pictures, drawn on the server as SVG so they read without JavaScript:
 * a gauge of seats in use, and peak seats in use and denials per usage bucket.
 * Colours come from the stylesheet (CSP allows no inline style); every bar has a
 * <title> for a tooltip, and the chart's data is also offered as a table.
 */
import type { UsageBucket } from "../../../contract/schemas.js";
import type { UsageRange } from "../operations.js";
import { dayLabel, formatTime, hourLabel, plural } from "./format.js";

export function Gauge(props: { inUse: number; seats: number }) {
  const { inUse, seats } = props;
  const fraction = seats === 0 ? (inUse > 0 ? 1 : 0) : Math.min(1, inUse / seats);
  const level = inUse >= seats && seats > 0 ? "full" : fraction >= 0.8 ? "high" : "ok";
  const angle = Math.PI * fraction;
  const x = (100 - 80 * Math.cos(angle)).toFixed(2);
  const y = (100 - 80 * Math.sin(angle)).toFixed(2);
  const label = `${inUse} of ${seats} seats in use`;
  return (
    <figure class="gauge">
      <svg viewBox="0 0 200 112" role="img" aria-label={label} class={`gauge-${level}`}>
        <path class="gauge-track" d="M 20 100 A 80 80 0 0 1 180 100" />
        {fraction > 0 ? <path class="gauge-value" d={`M 20 100 A 80 80 0 0 1 ${x} ${y}`} /> : null}
        <text x="100" y="92" text-anchor="middle" class="gauge-figure">{`${inUse}/${seats}`}</text>
      </svg>
      <figcaption>
        <strong>{plural(inUse, "seat")}</strong> in use of {seats.toLocaleString("en-GB")}
        {inUse > seats ? <span class="over"> (over the limit: new checkouts wait until usage drops below it)</span> : null}
      </figcaption>
    </figure>
  );
}

// The chart is one SVG scaled to its card: about 1:1 on a desktop, under half size at
// 390 px, where the stylesheet doubles its lettering. So every label has room for
// text twice its desktop size, and the legend is HTML, at the page's own size.
const W = 720;
const RIGHT = 8;
const PEAK_TOP = 14;
const PEAK_H = 130;
const DENIED_TOP = 166;
const DENIED_H = 38;
const AXIS_Y = 236;
const HEIGHT = 244;
const DIGIT = 15; // width of a digit at the narrow screen's lettering, in viewBox units

function bucketName(b: UsageBucket, range: UsageRange): string {
  if (range === "30d") return `${dayLabel(b.start)} (UTC day)`;
  const end = new Date(Date.parse(b.start) + 3_600_000).toISOString();
  return `${hourLabel(b.start)}–${hourLabel(end)} UTC, ${dayLabel(b.start)}`;
}

/** Which buckets get a time label: every `every`th, and the last, but none so close to the last that the two would touch. */
function labelled(i: number, n: number, every: number): "start" | "middle" | "end" | null {
  if (i === n - 1) return n === 1 ? "start" : "end";
  if (i === 0) return "start";
  return i % every === 0 && n - 1 - i >= every ? "middle" : null;
}

export function UsageChart(props: { buckets: UsageBucket[]; seats: number; range: UsageRange }) {
  const { buckets, seats, range } = props;
  const n = Math.max(1, buckets.length);
  // Headroom above the seat limit, so the limit line and the tallest bar stay readable.
  const peakMax = Math.max(1, Math.ceil(Math.max(seats, ...buckets.map((b) => b.peakInUse)) * 1.15));
  const deniedMax = Math.max(1, ...buckets.map((b) => b.denials));
  const left = 14 + DIGIT * Math.max(String(seats).length, String(deniedMax).length);
  const band = (W - left - RIGHT) / n;
  const barW = Math.max(1, band * 0.72);
  const py = (v: number) => PEAK_TOP + PEAK_H - (v / peakMax) * PEAK_H;
  const dy = (v: number) => DENIED_TOP + DENIED_H - (v / deniedMax) * DENIED_H;
  const busiest = buckets.reduce((m, b) => Math.max(m, b.peakInUse), 0);
  const denials = buckets.reduce((s, b) => s + b.denials, 0);
  const span = range === "24h" ? "the last 24 hours" : "the last 30 days";
  const summary = `Over ${span}: at most ${plural(busiest, "seat")} in use at once (limit now ${seats}); ${plural(denials, "checkout")} turned away because the pool was full.`;
  const labelEvery = range === "24h" ? 6 : 7;
  const limitY = py(seats);
  const tickX = left - 8;
  return (
    <figure class="chart">
      <ul class="chart-legend" aria-hidden="true">
        <li><span class="key key-peak"></span>peak seats in use</li>
        <li><span class="key key-limit"></span>{`seat limit (${seats})`}</li>
        <li><span class="key key-denied"></span>checkouts turned away (pool full)</li>
      </ul>
      <svg viewBox={`0 0 ${W} ${HEIGHT}`} role="img" aria-labelledby="chart-title chart-desc" class="usage-chart">
        <title id="chart-title">{`Peak seats in use and denials, ${span}`}</title>
        <desc id="chart-desc">{summary}</desc>
        <line x1={left} x2={W - RIGHT} y1={PEAK_TOP + PEAK_H} y2={PEAK_TOP + PEAK_H} class="axis" />
        <text x={tickX} y={PEAK_TOP + PEAK_H} text-anchor="end" class="axis-label">0</text>
        {buckets.map((b, i) => {
          const x = left + i * band + (band - barW) / 2;
          const anchor = labelled(i, n, labelEvery);
          const labelX = anchor === "start" ? left + i * band : anchor === "end" ? left + (i + 1) * band : left + i * band + band / 2;
          return (
            <g class="bucket">
              <title>{`${bucketName(b, range)}: peak ${b.peakInUse} in use, ${b.checkouts} checkouts, ${b.denials} denied`}</title>
              <rect x={(left + i * band).toFixed(1)} y={PEAK_TOP} width={band.toFixed(1)} height={DENIED_TOP + DENIED_H - PEAK_TOP} class="hit" />
              {b.peakInUse > 0 ? (
                <rect x={x.toFixed(1)} y={py(b.peakInUse).toFixed(1)} width={barW.toFixed(1)} height={(PEAK_TOP + PEAK_H - py(b.peakInUse)).toFixed(1)} class="bar-peak" />
              ) : null}
              {b.denials > 0 ? (
                <rect x={x.toFixed(1)} y={dy(b.denials).toFixed(1)} width={barW.toFixed(1)} height={(DENIED_TOP + DENIED_H - dy(b.denials)).toFixed(1)} class="bar-denied" />
              ) : null}
              {anchor ? (
                <text x={labelX.toFixed(1)} y={AXIS_Y} text-anchor={anchor} class="axis-label">
                  {range === "24h" ? hourLabel(b.start) : dayLabel(b.start)}
                </text>
              ) : null}
            </g>
          );
        })}
        <line x1={left} x2={W - RIGHT} y1={limitY.toFixed(1)} y2={limitY.toFixed(1)} class="limit" />
        {seats > 0 && PEAK_TOP + PEAK_H - limitY >= 22 ? <text x={tickX} y={(limitY + 5).toFixed(1)} text-anchor="end" class="limit-label">{String(seats)}</text> : null}
        <line x1={left} x2={W - RIGHT} y1={DENIED_TOP + DENIED_H} y2={DENIED_TOP + DENIED_H} class="axis" />
        {denials > 0 ? <text x={tickX} y={DENIED_TOP + 10} text-anchor="end" class="axis-label denied-label">{String(deniedMax)}</text> : null}
      </svg>
      <figcaption>{summary}</figcaption>
      <details class="chart-data">
        <summary>The chart's figures as a table</summary>
        <div class="table-wrap">
          <table>
            <thead>
              <tr><th scope="col">{range === "24h" ? "Hour (UTC)" : "Day (UTC)"}</th><th scope="col">Peak in use</th><th scope="col">Checkouts</th><th scope="col">Denied</th></tr>
            </thead>
            <tbody>
              {buckets.map((b) => (
                <tr>
                  <td>{range === "24h" ? formatTime(b.start) : dayLabel(b.start)}</td>
                  <td>{b.peakInUse}</td>
                  <td>{b.checkouts}</td>
                  <td>{b.denials}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
