/**
 * `npm run drill`: fault drills against the local server as `npm start` runs it
 * (scripts/start.ts → wrangler dev, state on disk). Each drill prints what it did and
 * what it found; the exit code is 1 if anything was lost or broken.
 *
 *   npm run drill -- [storm] [crash] [fuzz] [live] [queue]   all of them when none is named
 *     storm:  --rounds 20 --concurrency 500
 *     crash:  --cycles 3 --clients 40 --load-ms 1500
 *     fuzz:   --runs 2000
 *     live:   --sessions 500 --kill-sessions 200
 *     queue:  --waiters 100 (on 5 seats)
 *     all:    --seed N (printed, so a run can be repeated)
 */
import { parseArgs } from "node:util";
import { startLocalServer, type LocalServer } from "../test/node/local-server.js";
import { devReloads, type DrillOutcome } from "./drill/common.js";
import { crashDrill } from "./drill/crash.js";
import { fuzzDrill } from "./drill/fuzz.js";
import { liveDrill } from "./drill/live.js";
import { stormDrill } from "./drill/storm.js";
import { queueDrill } from "./drill/queue.js";

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: "string", default: "20" },
    concurrency: { type: "string", default: "500" },
    cycles: { type: "string", default: "3" },
    clients: { type: "string", default: "40" },
    "load-ms": { type: "string", default: "1500" },
    runs: { type: "string", default: "2000" },
    sessions: { type: "string", default: "500" },
    "kill-sessions": { type: "string", default: "200" },
    waiters: { type: "string", default: "100" },
    seed: { type: "string" },
  },
});

const drills = positionals.length ? positionals : ["storm", "crash", "fuzz", "live", "queue"];
for (const d of drills) if (!["storm", "crash", "fuzz", "live", "queue"].includes(d)) throw new Error(`unknown drill ${d}: storm, crash, fuzz, live or queue`);
const seed = args.seed !== undefined ? Number(args.seed) : Math.floor(Math.random() * 2 ** 31);
const num = (name: keyof typeof args) => {
  const v = Number(args[name]);
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a whole number ≥ 1`);
  return v;
};
const log = (line: string) => process.stdout.write(line + "\n");

async function withServer<T>(what: string, fn: (server: LocalServer) => Promise<T>): Promise<T> {
  const t = Date.now();
  const server = await startLocalServer();
  log(`\n[${what}] local server (npm start) at ${server.url}, state in ${server.stateDir}, up in ${Date.now() - t} ms`);
  try {
    return await fn(server);
  } finally {
    await server.dispose();
  }
}

async function main(): Promise<void> {
  log(`npm run drill -- ${process.argv.slice(2).join(" ")}  (seed ${seed})`);
  const outcomes: DrillOutcome[] = [];
  for (const drill of drills) {
    const started = Date.now();
    const outcome = await withServer(drill, (server): Promise<DrillOutcome> => {
      switch (drill) {
        case "storm": return stormDrill(server, { rounds: num("rounds"), concurrency: num("concurrency"), seed, log });
        case "crash": return crashDrill(server, { cycles: num("cycles"), clients: num("clients"), pools: 4, seatsPerPool: 25, loadMs: num("load-ms"), seed, log });
        case "live": return liveDrill(server, { sessions: num("sessions"), killSessions: num("kill-sessions"), log });
        case "queue": return queueDrill(server, { seats: 5, waiters: num("waiters"), seed, log });
        default: return fuzzDrill(server, { runs: num("runs"), seed, log });
      }
    });
    log(`[${drill}] ${((Date.now() - started) / 1000).toFixed(1)} s`);
    if (devReloads.retried) {
      log(`[${drill}] wrangler dev reloaded the Worker mid-request (a source file changed); ${devReloads.retried} requests were sent again with the same instance`);
      devReloads.retried = 0;
    }
    outcomes.push(outcome);
  }
  log("");
  let failed = false;
  for (const o of outcomes) {
    log(`${o.problems.length === 0 ? "PASS" : "FAIL"}  ${o.drill}${o.problems.length ? `: ${o.problems.length} problems` : ""}`);
    log(`      ${Object.entries(o.counts).map(([k, v]) => `${k} ${v}`).join(", ")}`);
    for (const p of o.problems.slice(0, 20)) log(`      ${p}`);
    if (o.problems.length > 20) log(`      … and ${o.problems.length - 20} more`);
    failed ||= o.problems.length > 0;
  }
  process.exitCode = failed ? 1 : 0;
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
