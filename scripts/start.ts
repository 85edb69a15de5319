/**
 * `npm start`: the whole service on this machine, fully offline, state on disk.
 * Honours PORT, ADMIN_TOKEN and STATE_DIR. Runs `wrangler dev` (workerd + miniflare)
 * with telemetry and network look-ups off, and prints where everything is.
 */
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ensureLocalSecrets, formatVars } from "./local-secrets.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const port = Number(process.env.PORT ?? 8787);
const host = "127.0.0.1";
const stateDir = path.resolve(process.env.STATE_DIR ?? path.join(root, ".wrangler", "state"));

const { secrets, file, created } = ensureLocalSecrets(root);
const vars = { ...secrets, ...(process.env.ADMIN_TOKEN ? { ADMIN_TOKEN: process.env.ADMIN_TOKEN } : {}) };
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
    stdio: ["ignore", "inherit", "inherit"],
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
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

const url = `http://${host}:${port}`;
async function announceWhenUp(): Promise<void> {
  for (let i = 0; i < 600; i++) {
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) {
        const token = created && !process.env.ADMIN_TOKEN ? `${vars.ADMIN_TOKEN} (generated now, kept in ${file})` : process.env.ADMIN_TOKEN ? "from $ADMIN_TOKEN" : `in ${file} (ADMIN_TOKEN)`;
        console.log(
          [
            "",
            `Seatkeeper is up at ${url}`,
            `  API docs:      ${url}/docs`,
            `  Dashboard:     ${url}/admin`,
            `  Vendor token:  ${token}`,
            `  State:         ${stateDir}`,
            "",
          ].join("\n"),
        );
        return;
      }
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  console.error(`Seatkeeper did not answer on ${url} within two minutes.`);
}
void announceWhenUp();
