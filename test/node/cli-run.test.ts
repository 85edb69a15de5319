import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CreatePoolResponse } from "../../src/client/index.js";
import { freePort, startLocalServer, type LocalServer } from "./local-server";
import { cliEnv, expectNoStackTrace, runCli, startCli } from "./cli-helpers";
import { clientFor, createPool, inUse, removeTempDirs, tempDir, uniqueUser } from "./sdk-helpers";

let server: LocalServer;
let program: string;
beforeAll(async () => {
  server = await startLocalServer();
  // The program put behind the pool: says it started (with its session id), then waits
  // for a "go" file and exits with the code it was given; it also ends when this test
  // process is gone, so a failing test leaves no program (and no `seatkeeper run`) behind.
  program = path.join(tempDir(), "program.cjs");
  writeFileSync(
    program,
    [
      'const fs = require("node:fs");',
      "const [marker, code] = process.argv.slice(2);",
      `const testProcess = ${process.pid};`,
      'const alive = () => { try { process.kill(testProcess, 0); return true; } catch { return false; } };',
      'fs.writeFileSync(marker + ".started", process.env.SEATKEEPER_SESSION_ID || "");',
      'setInterval(() => { if (fs.existsSync(marker + ".go")) process.exit(Number(code)); if (!alive()) process.exit(1); }, 25);',
    ].join("\n"),
  );
});
afterAll(async () => {
  await server?.dispose();
  removeTempDirs();
});

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function poolEnv(pool: CreatePoolResponse, extra: Record<string, string> = {}) {
  return cliEnv(server, { SEATKEEPER_SERIAL: pool.serial, SEATKEEPER_PRODUCT_KEY: pool.productKey, ...extra });
}

/** Starts `seatkeeper run -- node program.cjs <marker> <code>` and waits until the program runs. */
async function runProgram(pool: CreatePoolResponse, exitCode: number) {
  const marker = path.join(tempDir(), "m");
  const run = startCli(["run", "--user", uniqueUser("run"), "--", process.execPath, program, marker, String(exitCode)], poolEnv(pool));
  await until(() => existsSync(`${marker}.started`) || run.child.exitCode !== null, "the program to start");
  return { ...run, marker };
}

describe("seatkeeper run", () => {
  it("holds a seat while the command runs and gives it back when it exits normally", async () => {
    const pool = await createPool(server, 1);
    const { marker, result } = await runProgram(pool, 0);
    expect(readFileSync(`${marker}.started`, "utf8")).toMatch(/^ses_/);
    expect(await inUse(server, pool.poolId)).toBe(1);
    writeFileSync(`${marker}.go`, "");
    const r = await result;
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/seat taken/);
    expect(await inUse(server, pool.poolId)).toBe(0);
  });

  it("exits with the command's own non-zero code, and gives the seat back", async () => {
    const pool = await createPool(server, 1);
    const { marker, result } = await runProgram(pool, 7);
    expect(await inUse(server, pool.poolId)).toBe(1);
    writeFileSync(`${marker}.go`, "");
    expect((await result).code).toBe(7);
    expect(await inUse(server, pool.poolId)).toBe(0);
  });

  it("passes SIGTERM to the command, gives the seat back, and exits as the command did", async () => {
    const pool = await createPool(server, 1);
    const { child, result } = await runProgram(pool, 0);
    expect(await inUse(server, pool.poolId)).toBe(1);
    child.kill("SIGTERM");
    const r = await result;
    expect(r.code).toBe(128 + 15);
    expect(await inUse(server, pool.poolId)).toBe(0);
  });

  it("passes an interrupt (Ctrl-C sent to it alone) on as well", async () => {
    const pool = await createPool(server, 1);
    const { child, result } = await runProgram(pool, 0);
    child.kill("SIGINT");
    expect((await result).code).toBe(128 + 2);
    expect(await inUse(server, pool.poolId)).toBe(0);
  });

  it("on a full pool says so plainly, names who to ask, and does not start the command", async () => {
    const pool = await createPool(server, 1);
    const holder = clientFor(server, pool);
    await holder.checkout();
    const marker = path.join(tempDir(), "m");
    const r = await runCli(
      ["run", "--user", uniqueUser("late"), "--", process.execPath, program, marker, "0"],
      poolEnv(pool, { SEATKEEPER_CONTACT: "the IT service desk, ext. 4242" }),
    );
    expect(r.code).toBe(3);
    expect(existsSync(`${marker}.started`)).toBe(false);
    expect(r.stderr).toContain("No seat is free: the pool's only seat is in use.");
    expect(r.stderr).toContain("Ask the IT service desk, ext. 4242 to free a seat or add seats");
    expect(r.stderr).toContain("was not started");
    expect(r.stdout).toBe("");
    expectNoStackTrace(r);
    expect(await inUse(server, pool.poolId)).toBe(1);
    await holder.release();
  });

  it("without a contact configured, sends people to their IT department", async () => {
    const pool = await createPool(server, 2);
    const holders = [clientFor(server, pool), clientFor(server, pool)];
    for (const h of holders) await h.checkout();
    const r = await runCli(["run", "--", "true"], poolEnv(pool));
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("No seat is free: all 2 seats of this pool are in use.");
    expect(r.stderr).toContain("Ask your IT department");
    for (const h of holders) await h.release();
  });

  it("gives the seat back when the command cannot be started", async () => {
    const pool = await createPool(server, 1);
    const r = await runCli(["run", "--", "no-such-program-seatkeeper-test"], poolEnv(pool));
    expect(r.code).toBe(127);
    expect(r.stderr).toContain("cannot start no-such-program-seatkeeper-test: command not found");
    expect(await inUse(server, pool.poolId)).toBe(0);
  });

  it("does not start the command when the service cannot be reached", async () => {
    const pool = await createPool(server, 1);
    const marker = path.join(tempDir(), "m");
    const env = poolEnv(pool, { SEATKEEPER_URL: `http://127.0.0.1:${await freePort()}` });
    const r = await runCli(["run", "--", process.execPath, program, marker, "0"], env);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/Cannot reach the Seatkeeper service at http:\/\/127\.0\.0\.1:\d+ \(connection refused\)/);
    expect(existsSync(`${marker}.started`)).toBe(false);
    expectNoStackTrace(r);
  });

  it("asks for the command when none is given", async () => {
    const r = await runCli(["run", "--client-version", "2.0"], cliEnv(server));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Name the command to run after --");
  });
});
