/**
 * `npm start`: the whole service on this machine, fully offline, state on disk.
 * Honours PORT, ADMIN_TOKEN and STATE_DIR. Runs `wrangler dev` (workerd + miniflare)
 * with telemetry and network look-ups off, and prints where everything is once it is
 * up: never before wrangler itself says it listens, so a port held by another
 * server (even another Seatkeeper, whose /healthz answers) is reported, not announced.
 */
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { listenError } from "./free-port.js";
import { ensureLocalSecrets, formatVars } from "./local-secrets.js";
import { MIN_VENDOR_TOKEN_LENGTH } from "../src/worker/credentials.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const host = "127.0.0.1";
const stateDir = path.resolve(process.env.STATE_DIR ?? path.join(root, ".wrangler", "state"));

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

function parsePort(raw: string | undefined): number {
  if (raw === undefined || raw === "") return 8787;
  const port = /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
  if (!(port >= 1 && port <= 65535)) fail(`Seatkeeper cannot start: PORT must be a whole number from 1 to 65535, not "${raw}". For example: PORT=8787 npm start`);
  return port;
}

/** The first port after `port` that is free now, to suggest in place of a taken one. */
async function nearbyFreePort(port: number): Promise<number | null> {
  for (let p = port + 1; p <= Math.min(65535, port + 50); p++) if ((await listenError(p, host)) === null) return p;
  return null;
}

// "Address already in use" is the operating system's own words, which scripts (test/node/local-server.ts) look for.
async function portTakenMessage(port: number): Promise<string> {
  const other = (await nearbyFreePort(port)) ?? 8787;
  return [
    `Seatkeeper cannot start: port ${port} on ${host} is taken by another program (Address already in use).`,
    `It may be another \`npm start\`. Stop that one, or start on another port: PORT=${other} npm start`,
  ].join("\n");
}

const port = parsePort(process.env.PORT);
const url = `http://${host}:${port}`;

// Checked before wrangler starts, so the answer comes at once and nothing is written first.
const bindError = await listenError(port, host);
if (bindError === "EADDRINUSE") fail(await portTakenMessage(port));
if (bindError === "EACCES") fail(`Seatkeeper cannot start: listening on port ${port} needs privileges this user lacks (ports below 1024 do). Use a higher port: PORT=8787 npm start`);
if (bindError) fail(`Seatkeeper cannot start: it cannot listen on ${host}:${port} (${bindError}). Choose another port with PORT, for example PORT=8787 npm start`);

const { secrets, file, created } = ensureLocalSecrets(root);
// workerd has no jurisdictions: a local run says so, and keeps EU pools in the global namespace (src/worker/pool-stub.ts)
// a local service delivers webhooks to local receivers: http and loopback URLs are allowed here, never in production
// the vendor's identity provider for dashboard sign-in, when the environment names one (docs/dashboard.md)
const oidcVars = Object.fromEntries(["OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET"].flatMap((k) => (process.env[k] ? [[k, process.env[k]!]] : [])));
const vars = { ...secrets, ...(process.env.ADMIN_TOKEN ? { ADMIN_TOKEN: process.env.ADMIN_TOKEN } : {}), ...oidcVars, JURISDICTIONS: "off", ALLOW_INSECURE_WEBHOOKS: "true" };
if (vars.ADMIN_TOKEN.length < MIN_VENDOR_TOKEN_LENGTH) {
  fail(
    `Seatkeeper cannot start: the vendor token (ADMIN_TOKEN${process.env.ADMIN_TOKEN ? "" : ` in ${file}`}) has ${vars.ADMIN_TOKEN.length} characters; it needs at least ${MIN_VENDOR_TOKEN_LENGTH}, since it opens every pool.\n` +
      "Make one with: node --import tsx scripts/local-secrets.ts vendor-token",
  );
}
mkdirSync(stateDir, { recursive: true });
// wrangler reads secrets from one env file; this one merges .dev.vars with the environment's ADMIN_TOKEN.
const runtimeVars = path.join(stateDir, ".runtime.vars");
writeFileSync(runtimeVars, formatVars(vars), { mode: 0o600 });

const wrangler = path.join(root, "node_modules", "wrangler", "bin", "wrangler.js");
const child = spawn(
  process.execPath,
  [
    wrangler, "dev",
    "--config", path.join(root, "wrangler.toml"),
    "--ip", host,
    "--port", String(port),
    "--persist-to", stateDir,
    "--env-file", runtimeVars,
    "--inspector-port", "0",
    "--show-interactive-dev-session=false",
    "--log-level", process.env.LOG_LEVEL ?? "warn",
  ],
  {
    cwd: root,
    // With an IPC channel, wrangler sends DEV_SERVER_READY once its server listens.
    stdio: ["ignore", "inherit", "pipe", "ipc"],
    env: {
      ...process.env,
      WRANGLER_SEND_METRICS: "false",
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
      WRANGLER_HIDE_BANNER: "true",
      NO_UPDATE_NOTIFIER: "1",
    },
  },
);

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => child.kill(signal));
}

// Another program can take the port between the check above and wrangler's bind: say so in our words (wrangler's suggest --port).
let portLost = false;
let portMessage: Promise<void> = Promise.resolve();
let pending = "";
const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "");
function relayLine(line: string): void {
  if (portLost) return; // wrangler's error block and log path, already explained
  if (/Address already in use/i.test(stripAnsi(line))) {
    portLost = true;
    portMessage = portTakenMessage(port).then((m) => console.error(m));
    return;
  }
  process.stderr.write(line + "\n");
}
child.stderr!.setEncoding("utf8");
child.stderr!.on("data", (chunk: string) => {
  const lines = (pending + chunk).split("\n");
  pending = lines.pop()!;
  lines.forEach(relayLine);
});
child.stderr!.on("end", () => {
  if (pending) relayLine(pending);
});

// Exit once wrangler's stderr is drained and the port message (if any) printed.
let exitCode: number | undefined;
child.on("exit", (code, signal) => {
  exitCode = code ?? (signal ? 1 : 0);
});
child.on("close", () => {
  void portMessage.then(() => process.exit(portLost ? 1 : exitCode ?? 1));
});

let ready = false;
child.on("message", (message) => {
  let event: unknown;
  try {
    event = typeof message === "string" ? JSON.parse(message).event : undefined;
  } catch {
    return;
  }
  if (event === "DEV_SERVER_READY" && !ready) {
    ready = true;
    void announceWhenAnswering();
  }
});

function tokenLine(): string {
  if (process.env.ADMIN_TOKEN) return "from $ADMIN_TOKEN";
  return created ? `${vars.ADMIN_TOKEN} (generated now, kept in ${file})` : `in ${file} (ADMIN_TOKEN)`;
}

async function announceWhenAnswering(): Promise<void> {
  for (let i = 0; i < 600 && !portLost && child.exitCode === null; i++) {
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok && !portLost && child.exitCode === null) {
        console.log(
          [
            "",
            `Seatkeeper is up at ${url}`,
            `  API docs:      ${url}/docs`,
            `  Dashboard:     ${url}/admin`,
            `  Vendor token:  ${tokenLine()}`,
            `  State:         ${stateDir}`,
            "  EU pools:      in the global namespace (JURISDICTIONS=off: workerd has no jurisdictions; a deployed Worker keeps them in the EU)",
            "",
          ].join("\n"),
        );
        return;
      }
    } catch {
      /* not answering yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

setTimeout(() => {
  if (!ready && !portLost && child.exitCode === null) console.error(`Seatkeeper did not start on ${url} within two minutes; wrangler is still trying.`);
}, 120_000).unref();
