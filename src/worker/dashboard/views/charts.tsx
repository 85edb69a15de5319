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

const W = 720;
const LEFT = 40;
const RIGHT = 12;
const PEAK_TOP = 30;
const PEAK_H = 124;
const DENIED_TOP = 186;
const DENIED_H = 38;
const AXIS_Y = 242;
const HEIGHT = 250;

function bucketName(b: UsageBucket, range: UsageRange): string {
  if (range === "30d") return `${dayLabel(b.start)} (UTC day)`;
  const end = new Date(Date.parse(b.start) + 3_600_000).toISOString();
  return `${hourLabel(b.start)}–${hourLabel(end)} UTC, ${dayLabel(b.start)}`;
}

export function UsageChart(props: { buckets: UsageBucket[]; seats: number; range: UsageRange }) {
  const { buckets, seats, range } = props;
  const n = Math.max(1, buckets.length);
  const band = (W - LEFT - RIGHT) / n;
  const barW = Math.max(1, band * 0.72);
  // Headroom above the seat limit, so the limit line and the tallest bar stay readable.
  const peakMax = Math.max(1, Math.ceil(Math.max(seats, ...buckets.map((b) => b.peakInUse)) * 1.15));
  const deniedMax = Math.max(1, ...buckets.map((b) => b.denials));
  const py = (v: number) => PEAK_TOP + PEAK_H - (v / peakMax) * PEAK_H;
  const dy = (v: number) => DENIED_TOP + DENIED_H - (v / deniedMax) * DENIED_H;
  const busiest = buckets.reduce((m, b) => Math.max(m, b.peakInUse), 0);
  const denials = buckets.reduce((s, b) => s + b.denials, 0);
  const span = range === "24h" ? "the last 24 hours" : "the last 30 days";
  const summary = `Over ${span}: at most ${plural(busiest, "seat")} in use at once (limit now ${seats}); ${plural(denials, "checkout")} turned away because the pool was full.`;
  const labelEvery = range === "24h" ? 6 : 5;
  const limitY = py(seats).toFixed(1);
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${W} ${HEIGHT}`} role="img" aria-labelledby="chart-title chart-desc" class="usage-chart">
        <title id="chart-title">{`Peak seats in use and denials, ${span}`}</title>
        <desc id="chart-desc">{summary}</desc>
        <text x="4" y={PEAK_TOP + 4} class="axis-label">{String(peakMax)}</text>
        <text x="4" y={PEAK_TOP + PEAK_H} class="axis-label">0</text>
        <line x1={LEFT} x2={W - RIGHT} y1={PEAK_TOP + PEAK_H} y2={PEAK_TOP + PEAK_H} class="axis" />
        <line x1={LEFT} x2={W - RIGHT} y1={PEAK_TOP} y2={PEAK_TOP} class="grid" />
        {buckets.map((b, i) => {
          const x = LEFT + i * band + (band - barW) / 2;
          return (
            <g class="bucket">
              <title>{`${bucketName(b, range)}: peak ${b.peakInUse} in use, ${b.checkouts} checkouts, ${b.denials} denied`}</title>
              <rect x={(LEFT + i * band).toFixed(1)} y={PEAK_TOP} width={band.toFixed(1)} height={AXIS_Y - PEAK_TOP - 10} class="hit" />
              {b.peakInUse > 0 ? (
                <rect x={x.toFixed(1)} y={py(b.peakInUse).toFixed(1)} width={barW.toFixed(1)} height={(PEAK_TOP + PEAK_H - py(b.peakInUse)).toFixed(1)} class="bar-peak" />
              ) : null}
              {b.denials > 0 ? (
                <rect x={x.toFixed(1)} y={dy(b.denials).toFixed(1)} width={barW.toFixed(1)} height={(DENIED_TOP + DENIED_H - dy(b.denials)).toFixed(1)} class="bar-denied" />
              ) : null}
              {i % labelEvery === 0 || i === n - 1 ? (
                <text x={(LEFT + i * band + band / 2).toFixed(1)} y={AXIS_Y} text-anchor="middle" class="axis-label">
                  {range === "24h" ? hourLabel(b.start) : dayLabel(b.start)}
                </text>
              ) : null}
            </g>
          );
        })}
        <line x1={LEFT} x2={W - RIGHT} y1={limitY} y2={limitY} class="limit" />
        <text x={W - RIGHT} y={(Number(limitY) - 4).toFixed(1)} text-anchor="end" class="limit-label">{`limit ${seats}`}</text>
        <text x="4" y={DENIED_TOP + 4} class="axis-label denied-label">{String(deniedMax)}</text>
        <text x="4" y={DENIED_TOP + DENIED_H} class="axis-label denied-label">0</text>
        <line x1={LEFT} x2={W - RIGHT} y1={DENIED_TOP + DENIED_H} y2={DENIED_TOP + DENIED_H} class="axis" />
        <text x={LEFT} y={DENIED_TOP - 8} class="panel-label denied-label">checkouts denied (pool full)</text>
        <text x={LEFT} y={PEAK_TOP - 14} class="panel-label">peak seats in use</text>
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
