/**
 * The service on the Workers runtime with nothing in front of it: the Worker bundled
 * with esbuild (as wrangler would) and run in Miniflare's workerd directly, with the
 * bindings wrangler.toml declares, SQLite-backed objects persisted to a temp directory,
 * and the bench's ceiling object beside them.
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { Log, LogLevel, Miniflare } from "miniflare";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

export interface BenchRuntime {
  url: string;
  vendorToken: string;
  /** workerd's process id, for its resident memory. */
  workerdPid: number | undefined;
  /** The runtime's inspector port (DevTools protocol), when one was asked for. */
  inspectorPort: number | undefined;
  /** Where the objects' SQLite files live. */
  stateDir: string;
  dispose(): Promise<void>;
}

/** wrangler.toml's compatibility settings, so the bench runs what deploys. */
function compatibility(root: string): { date: string; flags: string[]; issuer: string } {
  const toml = readFileSync(path.join(root, "wrangler.toml"), "utf8");
  const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1];
  const flags = /^compatibility_flags\s*=\s*\[([^\]]*)\]/m.exec(toml)?.[1];
  const issuer = /^TOKEN_ISSUER\s*=\s*"([^"]+)"/m.exec(toml)?.[1];
  if (!date) throw new Error("wrangler.toml has no compatibility_date");
  return { date, flags: flags ? [...flags.matchAll(/"([^"]+)"/g)].map((m) => m[1]!) : [], issuer: issuer ?? "seatkeeper" };
}

/** Bundles the bench's Worker (and through it the service) from a checkout of the project, this one by default. */
export async function bundleBenchWorker(root = ROOT): Promise<string> {
  const out = await build({
    entryPoints: [path.join(root, "scripts", "bench", "worker.ts")],
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["module", "main"],
    external: ["cloudflare:*", "node:*"],
    write: false,
    outfile: "worker.js",
    logLevel: "silent",
  });
  return out.outputFiles[0]!.text;
}
const claimed = new Set<number>();

/** The workerd child of this process that no earlier runtime claimed (Miniflare starts one each). */
function findWorkerd(): number | undefined {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || claimed.has(Number(entry))) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, "utf8");
      if (/^Name:\s*workerd/m.test(status) && new RegExp(`^PPid:\\s*${process.pid}$`, "m").test(status)) {
        claimed.add(Number(entry));
        return Number(entry);
      }
    } catch {
      /* gone */
    }
  }
  return undefined;
}

/** Resident memory of a process in bytes, or undefined where /proc is not there. */
export function residentBytes(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const kb = /^VmRSS:\s*(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb ? Number(kb) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

export async function startBenchRuntime(opts: { inspectorPort?: number; stateRoot?: string; root?: string } = {}): Promise<BenchRuntime> {
  const { date, flags, issuer } = compatibility(opts.root ?? ROOT);
  const script = await bundleBenchWorker(opts.root);
  const stateDir = mkdtempSync(path.join(opts.stateRoot ?? tmpdir(), "seatkeeper-bench-"));
  const signing = { ...generateKeyPairSync("ed25519").privateKey.export({ format: "jwk" }), kid: "bench" };
  const vendorToken = `vt_${randomBytes(24).toString("base64url")}`;
  const mf = new Miniflare({
    host: "127.0.0.1",
    port: 0,
    log: new Log(LogLevel.WARN),
    logRequests: false,
    ...(opts.inspectorPort !== undefined ? { inspectorPort: opts.inspectorPort } : {}),
    cf: false,
    telemetry: { enabled: false },
    script,
    modules: true,
    compatibilityDate: date,
    compatibilityFlags: flags,
    durableObjects: {
      POOL: { className: "LicencePool", useSQLite: true },
      DIRECTORY: { className: "PoolDirectory", useSQLite: true },
      CEILING: { className: "Ceiling", useSQLite: true },
      SQL_LAB: { className: "SqlLab", useSQLite: true },
    },
    durableObjectsPersist: path.join(stateDir, "do"),
    ratelimits: { AUTH_FAILURES: { simple: { limit: 10, period: 60 } } },
    bindings: { SIGNING_KEY: JSON.stringify(signing), ADMIN_TOKEN: vendorToken, TOKEN_ISSUER: issuer },
  });
  const url = (await mf.ready).toString().replace(/\/$/, "");
  return {
    url,
    vendorToken,
    workerdPid: findWorkerd(),
    inspectorPort: opts.inspectorPort,
    stateDir,
    async dispose() {
      await mf.dispose();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
