/** The bench's findings: the record it writes as JSON, the table it prints, and the chart it draws. */
import { SEAT_DAY_HOURS, type CostReport } from "./cost.js";
import type { LabStep } from "./steps.js";

export interface Figure {
  /** Requests per second (a checkout+release cycle is two requests). */
  rps: number;
  /** Latency of every request, ms. */
  median: number;
  p99: number;
  /** Latency of checkouts alone, ms (cycles only). */
  checkoutMedian?: number;
  checkoutP99?: number;
  releaseMedian?: number;
  releaseP99?: number;
  /** CPU time workerd spent per request, µs (all its threads). */
  cpuMicrosPerRequest?: number;
}

export type ScenarioName = "ceiling" | "writeCeiling" | "onePool" | "manyPools" | "emptyPool" | "fullPool";

export interface Target {
  name: string;
  /** The figure compared, e.g. 0.63. */
  value: number;
  /** What it must reach, e.g. ≥ 0.6. */
  bound: number;
  direction: "atLeast" | "atMost";
  met: boolean;
}

export interface BenchReport {
  command: string;
  startedAt: string;
  machine: { cpus: number; cpuModel: string; node: string; miniflare: string; loadAverageAtStart: number[] };
  settings: {
    connections: number;
    durationSeconds: number;
    rounds: number;
    manyPools: number;
    heldSeats: number;
    stateDir: string;
  };
  /** Median over the rounds. */
  figures: Record<ScenarioName, Figure>;
  /** Each round's figures, in the order run. */
  rounds: Record<ScenarioName, Figure>[];
  /** Median over the rounds of each round's own ratio. */
  /** onePoolToCeilingCpu: the ceiling's CPU per request over one pool's, the same ratio measured in CPU time. */
  ratios: { onePoolToCeiling: number; onePoolToCeilingCpu: number; writeToCeiling: number; manyToOnePool: number; fullToEmptyCheckoutMedian: number };
  roundRatios: { onePoolToCeiling: number; onePoolToCeilingCpu: number; writeToCeiling: number; manyToOnePool: number; fullToEmptyCheckoutMedian: number }[];
  targets: Target[];
  perHeldSeat: {
    seats: number;
    databaseBytesBefore: number;
    databaseBytesAfter: number;
    databaseBytesPerSeat: number;
    heapBytesBefore: number | null;
    heapBytesAfter: number | null;
    heapBytesPerSeat: number | null;
    residentBytesBefore: number | null;
    residentBytesAfter: number | null;
    residentBytesPerSeat: number | null;
  };
  /** One pool with its objects' SQLite files on a real disk, where each commit waits for the disk. */
  disk: { ceiling: Figure; onePool: Figure; onePoolToCeiling: number; stateDir: string } | null;
  breakdown: { micros: Record<LabStep, number>; plans: Record<string, string[]> } | null;
  /** Shares of the Worker isolate's time under one-pool load, from a CPU profile. */
  cpuShares: { category: string; share: number }[] | null;
  /** Rows written per operation (index entries and alarms included), and per seat-day under `seatkeeper run`. */
  rowsWritten: { checkout: number; checkoutWithInstance: number; release: number; heartbeat: number; seatDay: number };
  /** US dollars per million seat-days at Cloudflare's list prices (see `cost.prices`). */
  costPerMillionSeatDays: number;
  cost: CostReport;
  /** Requests or checkouts answered otherwise than expected, by scenario; any makes the run fail. */
  failures: string[];
}

export const SCENARIOS: { key: ScenarioName; label: string }[] = [
  { key: "ceiling", label: "ceiling: no-op RPC to a Durable Object" },
  { key: "writeCeiling", label: "reference: the same RPC committing one row" },
  { key: "onePool", label: "one pool: checkout+release" },
  { key: "manyPools", label: "many pools: checkout+release" },
  { key: "emptyPool", label: "empty pool: checkout+release" },
  { key: "fullPool", label: "pool holding N seats: checkout+release" },
];

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export function medianFigure(figures: Figure[]): Figure {
  const pick = (k: keyof Figure) => {
    const xs = figures.map((f) => f[k]).filter((x): x is number => typeof x === "number");
    return xs.length ? median(xs) : undefined;
  };
  const out: Figure = { rps: pick("rps")!, median: pick("median")!, p99: pick("p99")! };
  for (const k of ["checkoutMedian", "checkoutP99", "releaseMedian", "releaseP99", "cpuMicrosPerRequest"] as const) {
    const v = pick(k);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

const f0 = (x: number) => Math.round(x).toLocaleString("en-GB");
const f1 = (x: number) => x.toFixed(1);
const f2 = (x: number) => x.toFixed(2);
const kib = (x: number) => `${(x / 1024).toFixed(1)} KiB`;

export function formatTable(report: BenchReport): string {
  const lines: string[] = [];
  lines.push(formatCost(report.cost), "");
  const label = (l: string) => l.replace("N seats", `${report.settings.heldSeats.toLocaleString("en-GB")} seats`);
  const width = Math.max(...SCENARIOS.map((s) => label(s.label).length));
  lines.push(`${"".padEnd(width)}   req/s   median ms   p99 ms   CPU µs/req   checkout median/p99 ms`);
  for (const { key, label: name } of SCENARIOS) {
    const f = report.figures[key];
    const checkout = f.checkoutMedian === undefined ? "" : `${f2(f.checkoutMedian)} / ${f1(f.checkoutP99!)}`;
    const cpu = f.cpuMicrosPerRequest === undefined ? "" : f0(f.cpuMicrosPerRequest);
    lines.push(`${label(name).padEnd(width)}  ${f0(f.rps).padStart(6)}  ${f2(f.median).padStart(10)}  ${f1(f.p99).padStart(7)}  ${cpu.padStart(11)}   ${checkout}`);
  }
  lines.push("");
  const r = report.ratios;
  lines.push(`ratios (median of ${report.settings.rounds} rounds, each measured within its round):`);
  lines.push(`  one pool / ceiling            ${f2(r.onePoolToCeiling)}   rounds: ${report.roundRatios.map((x) => f2(x.onePoolToCeiling)).join(" ")}`);
  lines.push(`    the same in CPU time        ${f2(r.onePoolToCeilingCpu)}   rounds: ${report.roundRatios.map((x) => f2(x.onePoolToCeilingCpu)).join(" ")}   (ceiling's CPU µs per request / one pool's)`);
  lines.push(`  one committed write / ceiling ${f2(r.writeToCeiling)}   rounds: ${report.roundRatios.map((x) => f2(x.writeToCeiling)).join(" ")}   (what durability alone costs)`);
  lines.push(`  many pools / one pool         ${f2(r.manyToOnePool)}   rounds: ${report.roundRatios.map((x) => f2(x.manyToOnePool)).join(" ")}`);
  lines.push(`  full / empty checkout median  ${f2(r.fullToEmptyCheckoutMedian)}   rounds: ${report.roundRatios.map((x) => f2(x.fullToEmptyCheckoutMedian)).join(" ")}`);
  lines.push("");
  lines.push("targets:");
  for (const t of report.targets) {
    lines.push(`  ${t.met ? "MET " : "MISS"}  ${t.name}: ${f2(t.value)} (${t.direction === "atLeast" ? "≥" : "≤"} ${t.bound})`);
  }
  const s = report.perHeldSeat;
  lines.push("");
  lines.push(`per held seat (pool filled with ${f0(s.seats)} seats):`);
  lines.push(`  storage  ${f0(s.databaseBytesPerSeat)} bytes (database ${kib(s.databaseBytesBefore)} → ${kib(s.databaseBytesAfter)})`);
  if (s.heapBytesPerSeat !== null) lines.push(`  JS heap  ${f1(s.heapBytesPerSeat)} bytes (isolate heap after GC ${kib(s.heapBytesBefore!)} → ${kib(s.heapBytesAfter!)})`);
  if (s.residentBytesPerSeat !== null) lines.push(`  resident ${f0(s.residentBytesPerSeat)} bytes (workerd RSS ${kib(s.residentBytesBefore!)} → ${kib(s.residentBytesAfter!)}; includes SQLite's page cache)`);
  if (report.disk) {
    lines.push("");
    lines.push(`state on disk (${report.disk.stateDir}): ceiling ${f0(report.disk.ceiling.rps)} req/s, one pool ${f0(report.disk.onePool.rps)} req/s, checkout median ${f2(report.disk.onePool.checkoutMedian ?? NaN)} ms → one pool / ceiling ${f2(report.disk.onePoolToCeiling)}`);
  }
  if (report.cpuShares) {
    lines.push("");
    lines.push("the Worker isolate's time under one-pool load (CPU profile, both requests of a cycle):");
    for (const c of report.cpuShares) lines.push(`  ${(100 * c.share).toFixed(1).padStart(5)}%  ${c.category}`);
  }
  if (report.breakdown) {
    lines.push("");
    lines.push(formatBreakdown(report.breakdown.micros, report.figures));
  }
  if (report.failures.length) {
    lines.push("");
    lines.push("FAILURES:");
    for (const f of report.failures) lines.push(`  ${f}`);
  }
  return lines.join("\n");
}

/** Where a checkout's and a release's microseconds go, from the steps lab.ts timed one at a time. */
export function breakdownRows(m: Record<LabStep, number>): { path: "checkout" | "release"; step: string; micros: number }[] {
  const pos = (x: number) => Math.max(0, x);
  const workerCheckout = pos(m["app-checkout"] - m["do-checkout"] - m["sign"] - m["hash"] - m["validate"]);
  const workerRelease = pos(m["app-release"] - m["do-release"] - m["verify"]);
  return [
    { path: "checkout", step: "Worker: Hono routing and middleware, reading the body, Request/Response, JSON", micros: workerCheckout },
    { path: "checkout", step: "zod: validating the body", micros: m["validate"] },
    { path: "checkout", step: "parse the serial, hash the product key (SHA-256)", micros: m["hash"] },
    { path: "checkout", step: "RPC round trip to the pool object (what the ceiling does)", micros: m["rpc-noop"] },
    { path: "checkout", step: "pool object: its 6 SQL statements (inside one transaction)", micros: m["sql-checkout"] },
    { path: "checkout", step: "pool object: commit, decisions, ids, RPC arguments and answer", micros: pos(m["do-checkout"] - m["rpc-noop"] - m["sql-checkout"]) },
    { path: "checkout", step: "sign the session token (Ed25519)", micros: m["sign"] },
    { path: "release", step: "Worker: Hono routing and middleware, Request/Response, JSON", micros: workerRelease },
    { path: "release", step: "verify the session token (Ed25519)", micros: m["verify"] },
    { path: "release", step: "RPC round trip to the pool object (what the ceiling does)", micros: m["rpc-noop"] },
    { path: "release", step: "pool object: its 6 SQL statements (inside one transaction)", micros: m["sql-release"] },
    { path: "release", step: "pool object: commit, decisions, RPC arguments and answer", micros: pos(m["do-release"] - m["rpc-noop"] - m["sql-release"]) },
  ];
}

export function formatBreakdown(m: Record<LabStep, number>, figures?: Record<ScenarioName, Figure>): string {
  const lines = ["where the time goes, each step repeated alone inside the runtime (µs of the runtime's CPU, fastest of a few batches):"];
  for (const path of ["checkout", "release"] as const) {
    const rows = breakdownRows(m).filter((r) => r.path === path);
    const total = rows.reduce((a, r) => a + r.micros, 0);
    lines.push(`  ${path} (in the runtime, without HTTP): ${f0(total)} µs`);
    for (const r of rows) lines.push(`    ${f0(r.micros).padStart(5)}  ${(100 * r.micros / total).toFixed(0).padStart(3)}%  ${r.step}`);
  }
  const sql = (["sql-transaction", "sql-active-seat", "sql-insert-seat", "sql-insert-session", "sql-in-use", "sql-usage", "sql-event", "sql-session", "sql-end-session"] as const)
    .map((k) => `${k.slice(4)} ${f0(m[k])}`).join(", ");
  lines.push(`  SQL statements, each in its own transaction (µs): ${sql}`);
  if (figures?.ceiling.cpuMicrosPerRequest !== undefined) {
    const c = figures.ceiling.cpuMicrosPerRequest;
    lines.push(`  the ceiling costs the runtime ${f0(c)} µs of CPU per request; one pool / ceiling ≥ 0.6 allows ${f0(c / 0.6)} µs per request, one pool takes ${f0(figures.onePool.cpuMicrosPerRequest ?? NaN)}`);
  }
  return lines.join("\n");
}

// ---- chart ---------------------------------------------------------------------

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** Two panels: throughput against the ceiling, and checkout latency empty against full. Plain SVG, no script. */
export function renderSvg(report: BenchReport): string {
  const W = 760;
  const H = 420;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="13">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="20" y="28" font-size="16" font-weight="600">Seatkeeper on the Workers runtime (miniflare), ${esc(report.startedAt.slice(0, 10))}</text>`);
  out.push(`<text x="20" y="48" fill="#555">${report.settings.connections} keep-alive connections, ${report.settings.rounds} rounds of ${report.settings.durationSeconds} s, medians; ${report.machine.cpus} cores (shared)</text>`);

  // Panel 1: requests per second.
  const p1 = { x: 20, y: 70, w: 440, barH: 30, gap: 12 };
  const bars: { label: string; value: number; note: string; colour: string }[] = [
    { label: "ceiling (no-op DO RPC)", value: report.figures.ceiling.rps, note: "1.00", colour: "#9aa5b1" },
    { label: "+ one committed row", value: report.figures.writeCeiling.rps, note: `${report.ratios.writeToCeiling.toFixed(2)} of ceiling`, colour: "#c3cbd3" },
    { label: "one pool", value: report.figures.onePool.rps, note: `${report.ratios.onePoolToCeiling.toFixed(2)} of ceiling`, colour: "#f38020" },
    { label: `${report.settings.manyPools.toLocaleString("en-GB")} pools`, value: report.figures.manyPools.rps, note: `${report.ratios.manyToOnePool.toFixed(2)} × one pool`, colour: "#fbad41" },
  ];
  const max = Math.max(...bars.map((b) => b.value)) * 1.05;
  out.push(`<text x="${p1.x}" y="${p1.y}" font-weight="600">Requests per second (checkout + release cycles)</text>`);
  const labelW = 170;
  const scale = (p1.w - labelW - 10) / max;
  const target = report.figures.ceiling.rps * 0.6;
  bars.forEach((b, i) => {
    const y = p1.y + 14 + i * (p1.barH + p1.gap);
    out.push(`<text x="${p1.x}" y="${y + p1.barH / 2 + 4}">${esc(b.label)}</text>`);
    out.push(`<rect x="${p1.x + labelW}" y="${y}" width="${(b.value * scale).toFixed(1)}" height="${p1.barH}" fill="${b.colour}"/>`);
    out.push(`<text x="${p1.x + labelW + b.value * scale + 6}" y="${y + p1.barH / 2 - 2}" font-weight="600">${Math.round(b.value).toLocaleString("en-GB")}</text>`);
    out.push(`<text x="${p1.x + labelW + b.value * scale + 6}" y="${y + p1.barH / 2 + 13}" fill="#555" font-size="11">${esc(b.note)}</text>`);
  });
  const tx = p1.x + labelW + target * scale;
  const bottom = p1.y + 14 + bars.length * (p1.barH + p1.gap) - p1.gap;
  out.push(`<line x1="${tx.toFixed(1)}" y1="${p1.y + 8}" x2="${tx.toFixed(1)}" y2="${bottom + 6}" stroke="#c00" stroke-dasharray="4 3"/>`);
  out.push(`<text x="${tx.toFixed(1)}" y="${bottom + 20}" fill="#c00" font-size="11" text-anchor="middle">target 0.6 × ceiling</text>`);

  // Panel 2: checkout latency, empty pool against N seats held (medians to scale, p99 written above).
  const p2 = { x: 500, y: 70, w: 240, h: 150 };
  out.push(`<text x="${p2.x}" y="${p2.y}" font-weight="600">Checkout latency, ms</text>`);
  const lat = [
    { label: "empty pool", f: report.figures.emptyPool },
    { label: `${report.settings.heldSeats.toLocaleString("en-GB")} seats held`, f: report.figures.fullPool },
  ];
  const lmax = Math.max(...lat.map((l) => l.f.checkoutMedian ?? l.f.median)) * 1.25;
  const base = p2.y + 30 + p2.h;
  const colW = 70;
  lat.forEach((l, i) => {
    const x = p2.x + 20 + i * (colW + 50);
    const med = l.f.checkoutMedian ?? l.f.median;
    const p99 = l.f.checkoutP99 ?? l.f.p99;
    const h = (med / lmax) * p2.h;
    out.push(`<rect x="${x}" y="${(base - h).toFixed(1)}" width="${colW}" height="${h.toFixed(1)}" fill="${i === 0 ? "#9aa5b1" : "#f38020"}"/>`);
    out.push(`<text x="${x + colW / 2}" y="${(base - h - 20).toFixed(1)}" text-anchor="middle" font-weight="600">${med.toFixed(2)}</text>`);
    out.push(`<text x="${x + colW / 2}" y="${(base - h - 6).toFixed(1)}" text-anchor="middle" font-size="11" fill="#555">p99 ${p99.toFixed(1)}</text>`);
    out.push(`<text x="${x + colW / 2}" y="${base + 16}" text-anchor="middle">${esc(l.label)}</text>`);
  });
  out.push(`<line x1="${p2.x + 10}" y1="${base}" x2="${p2.x + p2.w}" y2="${base}" stroke="#999"/>`);
  out.push(`<text x="${p2.x}" y="${base + 36}" fill="#555" font-size="11">median (bar), p99 above; full / empty ${report.ratios.fullToEmptyCheckoutMedian.toFixed(2)}</text>`);

  // Footer: targets.
  const fy = 340;
  out.push(`<text x="20" y="${fy}" font-weight="600">Targets</text>`);
  report.targets.forEach((t, i) => {
    const colour = t.met ? "#1a7f37" : "#c00";
    out.push(`<text x="20" y="${fy + 20 + i * 18}" fill="${colour}">${t.met ? "✔" : "✘"} ${esc(t.name)}: ${t.value.toFixed(2)} (${t.direction === "atLeast" ? "≥" : "≤"} ${t.bound})</text>`);
  });
  const s = report.perHeldSeat;
  out.push(`<text x="450" y="${fy + 20}" fill="#333">Per held seat: ${Math.round(s.databaseBytesPerSeat)} bytes of storage</text>`);
  if (s.heapBytesPerSeat !== null) out.push(`<text x="450" y="${fy + 38}" fill="#333">${s.heapBytesPerSeat.toFixed(1)} bytes of JS heap</text>`);
  out.push(`<text x="450" y="${fy + 56}" fill="#555" font-size="11">Anchors: Thales 333 calls/s per customer;</text>`);
  out.push(`<text x="450" y="${fy + 70}" fill="#555" font-size="11">Cloudflare ~1,000 req/s per Durable Object</text>`);
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}


export function formatCost(c: CostReport): string {
  const lines: string[] = [];
  lines.push(`per operation (rows counted by the pool object's store; Cloudflare's list prices of ${c.prices.date}):`);
  lines.push(`  ${"".padEnd(22)} rows written   rows read   Worker req   DO req   WS msgs`);
  for (const [name, o] of Object.entries(c.operations)) {
    lines.push(`  ${name.padEnd(22)} ${f1(o.rowsWritten).padStart(12)}   ${f1(o.rowsRead).padStart(9)}   ${f0(o.workerRequests).padStart(10)}   ${f0(o.durableObjectRequests).padStart(6)}   ${f0(o.webSocketMessages).padStart(7)}`);
  }
  lines.push("");
  lines.push(`a seat-day (a seat held ${SEAT_DAY_HOURS} hours by seatkeeper run):`);
  for (const d of [c.before, c.seatDay, c.seatDayHeartbeats]) {
    lines.push(
      `  ${d.label.padEnd(38)} ${f0(d.cost.rowsWritten).padStart(4)} rows written, ${f0(d.cost.workerRequests)} Worker + ${f0(d.cost.durableObjectRequests)} DO requests, ` +
        `${f0(d.cost.webSocketMessages)} WS messages: $${f2(d.perMillion)} per million seat-days`,
    );
    lines.push(`  ${"".padEnd(38)} (${d.recipe})`);
  }
  return lines.join("\n");
}
