/**
 * `npm start` as a new user runs it: on a port another server already holds (here one
 * that answers /healthz like a Seatkeeper would), it says so at once, suggests PORT and
 * exits non-zero, without announcing that Seatkeeper is up; and the same when the port
 * is taken after its own check, while wrangler is still starting.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { freePort, ROOT } from "./local-server.js";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Runs `npm start` in its own process group, which is killed if it is still there when the test ends. */
function npmStart(env: Record<string, string>): Promise<Run> {
  const child = spawn("npm", ["start"], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ADMIN_TOKEN: "start-script-test-token-of-32-characters", ...env },
  });
  cleanups.push(() => {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      /* already gone */
    }
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

/** A server that answers every request 200 {"ok":true}, as a Seatkeeper's /healthz does. */
async function occupy(port: number): Promise<Server> {
  const server = createServer((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}'));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  return server;
}

function stateDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "seatkeeper-start-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe("npm start", () => {
  it("on a port already in use says so, suggests PORT and exits non-zero without saying it is up", async () => {
    const port = await freePort();
    await occupy(port);
    const dir = stateDir();

    const run = await npmStart({ PORT: String(port), STATE_DIR: dir });

    expect(run.code).not.toBe(0);
    expect(run.code).not.toBeNull();
    expect(run.stderr).toContain(`port ${port} on 127.0.0.1 is taken by another program (Address already in use)`);
    expect(run.stderr).toMatch(/start on another port: PORT=\d+ npm start/);
    const suggested = Number(/PORT=(\d+) npm start/.exec(run.stderr)![1]);
    expect(suggested).not.toBe(port);
    const output = run.stdout + run.stderr;
    expect(output).not.toContain("Seatkeeper is up");
    expect(output).not.toContain(`http://127.0.0.1:${port}`);
    // It stopped before writing anything into the state directory.
    expect(readdirSync(dir)).toEqual([]);
  });

  it("reports a port taken while wrangler starts, in the same words, and never says it is up", async () => {
    const port = await freePort();
    const dir = stateDir();
    const run = npmStart({ PORT: String(port), STATE_DIR: dir });
    // The script writes .runtime.vars after its own check and before it starts wrangler, which takes a second or more to bind.
    while (!existsSync(path.join(dir, ".runtime.vars"))) await new Promise((r) => setTimeout(r, 10));
    await occupy(port);

    const { code, stdout, stderr } = await run;

    expect(code).toBe(1);
    expect(stderr).toContain(`port ${port} on 127.0.0.1 is taken by another program (Address already in use)`);
    expect(stderr).toMatch(/start on another port: PORT=\d+ npm start/);
    expect(stderr).not.toContain("--port"); // wrangler's own advice, which does not apply to npm start
    expect(stdout + stderr).not.toContain("Seatkeeper is up");
  });

  it("refuses a PORT that is not a port number, with an example", async () => {
    const run = await npmStart({ PORT: "80a", STATE_DIR: stateDir() });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('PORT must be a whole number from 1 to 65535, not "80a". For example: PORT=8787 npm start');
    expect(run.stdout + run.stderr).not.toContain("Seatkeeper is up");
  });

  it("refuses a vendor token shorter than 32 characters, and says how to make one", async () => {
    const dir = stateDir();
    const run = await npmStart({ PORT: String(await freePort()), STATE_DIR: dir, ADMIN_TOKEN: "demo-vendor-token" });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("the vendor token (ADMIN_TOKEN) has 17 characters; it needs at least 32");
    expect(run.stderr).toContain("node --import tsx scripts/local-secrets.ts vendor-token");
    expect(run.stdout + run.stderr).not.toContain("Seatkeeper is up");
    expect(existsSync(path.join(dir, ".runtime.vars"))).toBe(false); // refused before anything is written
  });
});
