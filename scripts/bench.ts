/**
 * `npm run bench`: the service on the Workers runtime (Miniflare's workerd, nothing in
 * front), measured against that runtime's own ceiling in one run:
 *
 *   ceiling     a no-op RPC round trip Worker → Durable Object
 *   one pool    checkout+release cycles from N keep-alive connections on one pool
 *   many pools  the same load spread over 1,000 pools
 *   empty/full  the same cycles on an empty pool and on one already holding 10,000 seats
 *   cost        rows written and read per operation, billable requests, and the cost of a
 *               million seat-days at Cloudflare's list prices (counts, not timings)
 *
 * Everything is judged as a ratio taken within one round, and the rounds are
 * interleaved, because this machine is shared and its absolute speed drifts.
 *
 *   npm run bench -- [--json FILE] [--svg FILE] [--connections 8] [--duration 5]
 *                    [--rounds 5] [--pools 1000] [--seats 10000] [--state-dir DIR]
 *                    [--no-disk] [--no-breakdown] [--profile FILE] [--quick] [--strict] [--cost-only]
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { measureBreakdown } from "./bench/breakdown.js";
import { measureCost } from "./bench/cost.js";
import { DEFAULT_PING_MS } from "../src/client/live-channel.js";
import { Inspector } from "./bench/inspector.js";
import { categorize, type CpuProfile } from "./bench/profile.js";
import { runLoad, type LoadResult, type Step } from "./bench/load.js";
import {
  formatCost, formatTable, median, medianFigure, renderSvg, SCENARIOS, type BenchReport, type Figure, type ScenarioName, type Target,
} from "./bench/report.js";
import { residentBytes, ROOT, startBenchRuntime, type BenchRuntime } from "./bench/runtime.js";
import { freePort } from "./free-port.js";
import { createPools, cycleSteps, fillSteps, noopSteps, writeSteps, type BenchPool } from "./bench/workload.js";

const { values: args } = parseArgs({
  options: {
    json: { type: "string" },
    svg: { type: "string" },
    connections: { type: "string", default: "8" },
    duration: { type: "string", default: "5" },
    rounds: { type: "string", default: "5" },
    pools: { type: "string", default: "1000" },
    seats: { type: "string", default: "10000" },
    "state-dir": { type: "string" },
    "no-disk": { type: "boolean", default: false },
    "no-breakdown": { type: "boolean", default: false },
    profile: { type: "string" },
    quick: { type: "boolean", default: false },
    "cost-only": { type: "boolean", default: false },
    strict: { type: "boolean", default: false },
  },
});

const quick = args.quick;
/** The SDK's keep-alive on the live channel, which a seat-day sends. */
const LIVE_PING_SECONDS = DEFAULT_PING_MS / 1000;
const connections = Number(args.connections);
const duration = quick ? 2 : Number(args.duration);
const rounds = quick ? 1 : Number(args.rounds);
const manyPools = quick ? 100 : Number(args.pools);
const heldSeats = quick ? 1000 : Number(args.seats);
for (const [name, v] of Object.entries({ connections, duration, rounds, manyPools, heldSeats })) {
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a whole number ≥ 1`);
}

/**
 * The objects' SQLite files go to a RAM-backed directory where there is one. Locally,
 * workerd commits each transaction to its file and waits for the disk on the isolate's
 * own thread; in production a commit is confirmed by the output gate while the object
 * runs on. So a disk here measures this machine's disk, and is reported on its own.
 */
const stateRoot = args["state-dir"] ?? (existsSync("/dev/shm") ? "/dev/shm" : tmpdir());

const log = (s: string) => process.stdout.write(s + "\n");
const failures: string[] = [];

function figure(r: LoadResult): Figure {
  const f: Figure = { rps: r.rps, median: r.median, p99: r.p99 };
  if (r.cpuMicrosPerRequest !== undefined) f.cpuMicrosPerRequest = r.cpuMicrosPerRequest;
  if (r.kinds.checkout && r.kinds.release) {
    f.checkoutMedian = r.kinds.checkout.median;
    f.checkoutP99 = r.kinds.checkout.p99;
    f.releaseMedian = r.kinds.release.median;
    f.releaseP99 = r.kinds.release.p99;
  }
  return f;
}

function check(name: string, r: LoadResult): LoadResult {
  if (r.errors || r.unexpected) failures.push(`${name}: ${r.errors} connection errors, ${r.unexpected} unexpected answers ${r.samples.join(" | ")}`);
  if (r.requests === 0) failures.push(`${name}: no request was answered`);
  return r;
}

async function probe(url: string, poolId: string): Promise<{ databaseSize: number; inUse: number | null }> {
  const res = await fetch(`${url}/__bench/probe/${poolId}`);
  return (await res.json()) as { databaseSize: number; inUse: number | null };
}

async function heap(port: number | undefined): Promise<number | null> {
  if (port === undefined) return null;
  const inspector = await Inspector.connect(port);
  try {
    return await inspector.heapAfterGc();
  } finally {
    inspector.close();
  }
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const miniflareVersion = (JSON.parse(readFileSync(path.join(ROOT, "node_modules", "miniflare", "package.json"), "utf8")) as { version: string }).version;
  const inspectorPort = await freePort();
  log(`Starting the Worker in workerd (miniflare ${miniflareVersion}), state in ${stateRoot} …`);
  const rt = await startBenchRuntime({ inspectorPort, stateRoot });
  // Ctrl-C still stops workerd and removes the state directory.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => void rt.dispose().finally(() => process.exit(130)));
  }
  const url = rt.url;
  let disk: BenchReport["disk"] = null;
  let breakdown: BenchReport["breakdown"] = null;
  let cpuShares: BenchReport["cpuShares"] = null;
  try {
    log("Counting rows and requests per operation and per seat-day …");
    const cost = await measureCost(url, rt.vendorToken, { pingIntervalSeconds: LIVE_PING_SECONDS, heartbeatMinutes: 5 });
    if (args["cost-only"]) {
      log("\n" + formatCost(cost));
      if (args.json) writeFileSync(args.json, JSON.stringify({ cost }, null, 2) + "\n");
      return;
    }
    // Memory and storage per held seat first, while nothing else runs in the runtime.
    const [emptyPool, fullPool] = await createPools(url, rt.vendorToken, 2, heldSeats * 2, "Bench size");
    await runLoad(url, cycleSteps([emptyPool!]), { connections, duration: 2 }); // the code paths warm, so the JIT's output is in "before"
    const before = { db: (await probe(url, fullPool!.poolId)).databaseSize, heap: await heap(rt.inspectorPort), rss: residentBytes(rt.workerdPid) ?? null };
    log(`Filling one pool with ${heldSeats.toLocaleString("en-GB")} held seats …`);
    const fill = check("fill", await runLoad(url, fillSteps(fullPool!), { connections, amount: heldSeats }));
    const filled = await probe(url, fullPool!.poolId);
    if (filled.inUse !== heldSeats) failures.push(`fill: the pool holds ${filled.inUse} seats, not ${heldSeats}`);
    const after = { db: filled.databaseSize, heap: await heap(rt.inspectorPort), rss: residentBytes(rt.workerdPid) ?? null };
    log(`  ${fill.requests} checkouts at ${Math.round(fill.rps)}/s; database ${before.db} → ${after.db} bytes`);

    log(`Creating pools: one, and ${manyPools} more …`);
    const [onePool] = await createPools(url, rt.vendorToken, 1, 1_000_000, "Bench one pool");
    const many = await createPools(url, rt.vendorToken, manyPools, 100_000, "Bench many");

    const cpuPid = rt.workerdPid;
    const steps: Record<ScenarioName, () => Step[]> = {
      ceiling: noopSteps,
      writeCeiling: writeSteps,
      onePool: () => cycleSteps([onePool!]),
      manyPools: () => cycleSteps(many),
      emptyPool: () => cycleSteps([emptyPool!]),
      fullPool: () => cycleSteps([fullPool!]),
    };
    const load = async (key: ScenarioName, seconds: number) => {
      // The runtime evicts objects left idle while the other scenarios run; wake every one of
      // the many pools first (not counted), so the figure is their steady state, as for one pool.
      if (key === "manyPools") await runLoad(url, cycleSteps(many), { connections, amount: manyPools * 2 });
      return runLoad(url, steps[key](), { connections, duration: seconds, cpuPid });
    };

    log("Warming up (2 s each, not counted) …");
    for (const { key } of SCENARIOS) await load(key, 2);

    const perRound: Record<ScenarioName, Figure>[] = [];
    for (let r = 0; r < rounds; r++) {
      // Rotate the order each round, so drift in the machine's speed falls on every scenario alike.
      const order = SCENARIOS.map((s) => s.key);
      const rotated = [...order.slice(r % order.length), ...order.slice(0, r % order.length)];
      const round = {} as Record<ScenarioName, Figure>;
      for (const key of rotated) {
        round[key] = figure(check(`round ${r + 1} ${key}`, await load(key, duration)));
      }
      perRound.push(round);
      log(
        `  round ${r + 1}/${rounds}: ceiling ${Math.round(round.ceiling.rps)}, write ${Math.round(round.writeCeiling.rps)}, one ${Math.round(round.onePool.rps)}, many ${Math.round(round.manyPools.rps)}, ` +
          `empty ${Math.round(round.emptyPool.rps)}, full ${Math.round(round.fullPool.rps)} req/s`,
      );
    }

    if (!args["no-breakdown"]) {
      log("Profiling the Worker's isolate under one-pool load (not counted) …");
      const inspector = await Inspector.connect(rt.inspectorPort!);
      await inspector.startProfile(100);
      check("profiled one pool", await runLoad(url, cycleSteps([onePool!]), { connections, duration: Math.min(duration, 5) }));
      const profile = (await inspector.stopProfile()) as CpuProfile;
      inspector.close();
      cpuShares = categorize(profile);
      if (args.profile) {
        writeFileSync(args.profile, JSON.stringify(profile));
        log(`  CPU profile written to ${args.profile} (open it in Chrome DevTools → Performance)`);
      }
      log("Timing each step of a checkout and a release inside the runtime …");
      breakdown = await measureBreakdown(url, { n: quick ? 100 : 400, batches: quick ? 2 : 5, pid: rt.workerdPid });
    }

    if (!args["no-disk"]) {
      disk = await measureOnDisk();
    }

    const figures = Object.fromEntries(SCENARIOS.map(({ key }) => [key, medianFigure(perRound.map((r) => r[key]))])) as Record<ScenarioName, Figure>;
    const cpuRatio = (r: Record<ScenarioName, Figure>) =>
      r.ceiling.cpuMicrosPerRequest && r.onePool.cpuMicrosPerRequest ? r.ceiling.cpuMicrosPerRequest / r.onePool.cpuMicrosPerRequest : NaN;
    const roundRatios = perRound.map((r) => ({
      onePoolToCeiling: r.onePool.rps / r.ceiling.rps,
      onePoolToCeilingCpu: cpuRatio(r),
      writeToCeiling: r.writeCeiling.rps / r.ceiling.rps,
      manyToOnePool: r.manyPools.rps / r.onePool.rps,
      fullToEmptyCheckoutMedian: r.fullPool.checkoutMedian! / r.emptyPool.checkoutMedian!,
    }));
    const ratios = {
      onePoolToCeiling: median(roundRatios.map((x) => x.onePoolToCeiling)),
      onePoolToCeilingCpu: median(roundRatios.map((x) => x.onePoolToCeilingCpu)),
      writeToCeiling: median(roundRatios.map((x) => x.writeToCeiling)),
      manyToOnePool: median(roundRatios.map((x) => x.manyToOnePool)),
      fullToEmptyCheckoutMedian: median(roundRatios.map((x) => x.fullToEmptyCheckoutMedian)),
    };
    const target = (name: string, value: number, bound: number, direction: Target["direction"]): Target => ({
      name, value, bound, direction, met: direction === "atLeast" ? value >= bound : value <= bound,
    });
    const seatsHeld = filled.inUse ?? heldSeats;
    const per = (a: number | null, b: number | null) => (a === null || b === null ? null : (b - a) / seatsHeld);
    const report: BenchReport = {
      command: `npm run bench --${process.argv.slice(2).length ? " " + process.argv.slice(2).join(" ") : ""}`,
      startedAt,
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? "unknown", node: process.version, miniflare: miniflareVersion, loadAverageAtStart: loadavg() },
      settings: { connections, durationSeconds: duration, rounds, manyPools, heldSeats, stateDir: rt.stateDir },
      figures,
      rounds: perRound,
      ratios,
      roundRatios,
      targets: [
        target("one pool / ceiling (req/s)", ratios.onePoolToCeiling, 0.6, "atLeast"),
        target("many pools / one pool (req/s)", ratios.manyToOnePool, 1, "atLeast"),
        target(`checkout median, ${heldSeats.toLocaleString("en-GB")} seats held / empty`, ratios.fullToEmptyCheckoutMedian, 1.25, "atMost"),
      ],
      perHeldSeat: {
        seats: seatsHeld,
        databaseBytesBefore: before.db,
        databaseBytesAfter: after.db,
        databaseBytesPerSeat: (after.db - before.db) / seatsHeld,
        heapBytesBefore: before.heap,
        heapBytesAfter: after.heap,
        heapBytesPerSeat: per(before.heap, after.heap),
        residentBytesBefore: before.rss,
        residentBytesAfter: after.rss,
        residentBytesPerSeat: per(before.rss, after.rss),
      },
      disk,
      breakdown,
      cpuShares,
      rowsWritten: {
        checkout: cost.operations.checkout.rowsWritten,
        checkoutWithInstance: cost.operations.checkoutWithInstance.rowsWritten,
        release: cost.operations.release.rowsWritten,
        heartbeat: cost.operations.heartbeat.rowsWritten,
        seatDay: cost.seatDay.cost.rowsWritten,
      },
      costPerMillionSeatDays: cost.seatDay.perMillion,
      cost,
      failures,
    };

    log("");
    log(formatTable(report));
    if (args.json) {
      mkdirSync(path.dirname(path.resolve(args.json)), { recursive: true });
      writeFileSync(args.json, JSON.stringify(report, null, 2) + "\n");
      log(`\nwrote ${args.json}`);
    }
    if (args.svg) {
      mkdirSync(path.dirname(path.resolve(args.svg)), { recursive: true });
      writeFileSync(args.svg, renderSvg(report));
      log(`wrote ${args.svg}`);
    }
    if (failures.length) process.exitCode = 1;
    else if (args.strict && report.targets.some((t) => !t.met)) process.exitCode = 2;
  } finally {
    await rt.dispose();
  }
}

/** One pool again, on a runtime whose SQLite files are on disk, as `npm start` keeps them. */
async function measureOnDisk(): Promise<NonNullable<BenchReport["disk"]>> {
  const diskRoot = path.join(ROOT, ".wrangler", "bench");
  mkdirSync(diskRoot, { recursive: true });
  log(`One pool again with its state on disk (${diskRoot}) …`);
  const rt: BenchRuntime = await startBenchRuntime({ stateRoot: diskRoot });
  try {
    const [pool] = await createPools(rt.url, rt.vendorToken, 1, 1_000_000, "Bench disk") as [BenchPool];
    await runLoad(rt.url, noopSteps(), { connections, duration: 2 });
    await runLoad(rt.url, cycleSteps([pool]), { connections, duration: 2 });
    const ceiling = figure(check("disk ceiling", await runLoad(rt.url, noopSteps(), { connections, duration })));
    const onePool = figure(check("disk one pool", await runLoad(rt.url, cycleSteps([pool]), { connections, duration })));
    return { ceiling, onePool, onePoolToCeiling: onePool.rps / ceiling.rps, stateDir: rt.stateDir };
  } finally {
    await rt.dispose();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
