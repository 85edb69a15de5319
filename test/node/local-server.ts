/**
 * Starts the service the way `npm start` does (scripts/start.ts → wrangler dev), on a
 * free port with its own state directory, for tests in Node over real HTTP.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../../scripts/free-port.js";

export { freePort };

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const TEST_VENDOR_TOKEN = "node-test-vendor-token-of-32-chars-or-more";

/**
 * Run by a small detached process beside each server: when the pipe from the test process
 * closes (a clean stop, or that process dying however it dies, SIGKILL included), it kills the
 * server's whole process group (start.ts, wrangler, workerd), so no server outlives its test.
 */
const WATCHDOG = `
const group = Number(process.argv[1]);
const end = () => { try { process.kill(-group, "SIGKILL"); } catch {} process.exit(0); };
process.stdin.on("end", end).on("close", end).on("error", end).resume();
`;

function watch(group: number): ChildProcess {
  const watchdog = spawn(process.execPath, ["-e", WATCHDOG, String(group)], { detached: true, stdio: ["pipe", "ignore", "ignore"] });
  // Neither it nor its pipe keeps the test process alive; the pipe closes when that process ends.
  watchdog.unref();
  (watchdog.stdin as unknown as { unref(): void }).unref();
  return watchdog;
}

export interface LocalServer {
  url: string;
  port: number;
  stateDir: string;
  vendorToken: string;
  /** Ends the whole process group: SIGTERM for a clean stop, SIGKILL for a crash. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts again on the same port and state directory. */
  restart(): Promise<void>;
  /** Stops and removes the state directory. */
  dispose(): Promise<void>;
  output(): string;
  /** The server's process group (start.ts and everything it started), while it runs. */
  processGroup(): number | undefined;
}

export async function startLocalServer(opts: { port?: number; stateDir?: string; vendorToken?: string; env?: Record<string, string> } = {}): Promise<LocalServer> {
  let port = opts.port ?? (await freePort());
  const stateDir = opts.stateDir ?? mkdtempSync(path.join(tmpdir(), "seatkeeper-state-"));
  const vendorToken = opts.vendorToken ?? TEST_VENDOR_TOKEN;
  let url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let watchdog: ChildProcess | undefined;
  let log = "";

  async function start(): Promise<void> {
    try {
      await launch();
    } catch (e) {
      await stop("SIGKILL");
      throw e;
    }
  }

  async function launch(): Promise<void> {
    child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "scripts", "start.ts")], {
      cwd: ROOT,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, PORT: String(port), STATE_DIR: stateDir, ADMIN_TOKEN: vendorToken, ...opts.env },
    });
    watchdog = watch(child.pid!);
    child.stdout!.on("data", (d) => (log += d));
    child.stderr!.on("data", (d) => (log += d));
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`server exited early:\n${log}`);
      try {
        const res = await fetch(`${url}/healthz`);
        if (res.ok) return;
      } catch {
        /* not up yet */
      }
      await new Promise((r) => setTimeout(r, 150));
    }
    throw new Error(`server did not come up on ${url}:\n${log}`);
  }

  async function stop(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    const c = child;
    const w = watchdog;
    watchdog = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) {
      w?.stdin?.end(); // kills whatever the group left running
      return;
    }
    const exited = new Promise<void>((r) => c.once("exit", () => r()));
    try {
      process.kill(-c.pid!, signal);
    } catch {
      /* already gone */
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (signal !== "SIGKILL") {
      try {
        process.kill(-c.pid!, "SIGKILL");
      } catch {
        /* gone */
      }
    }
    w?.stdin?.end();
    // wait until the port is free again
    for (let i = 0; i < 100; i++) {
      try {
        await fetch(`${url}/healthz`);
        await new Promise((r) => setTimeout(r, 100));
      } catch {
        return;
      }
    }
  }

  // A port taken in the moment between the check and the bind: try another (only when we chose it).
  for (let attempt = 1; ; attempt++) {
    try {
      await start();
      break;
    } catch (e) {
      if (opts.port !== undefined || attempt >= 5 || !/Address already in use/.test(log)) throw e;
      port = await freePort();
      url = `http://127.0.0.1:${port}`;
      log = "";
    }
  }
  return {
    url,
    port,
    stateDir,
    vendorToken,
    stop,
    restart: start,
    async dispose() {
      await stop("SIGKILL");
      if (!opts.stateDir) rmSync(stateDir, { recursive: true, force: true });
    },
    output: () => log,
    processGroup: () => (child && child.exitCode === null && child.signalCode === null ? child.pid : undefined),
  };
}

export interface Json {
  status: number;
  body: any;
  headers: Headers;
}

/** One request to the server's HTTP API, JSON both ways, with a bearer token when given. */
export async function api(server: LocalServer, method: string, urlPath: string, body?: unknown, token?: string): Promise<Json> {
  const res = await fetch(`${server.url}${urlPath}`, {
    method,
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}
