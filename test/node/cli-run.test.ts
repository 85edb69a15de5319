import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CreatePoolResponse } from "../../src/client/index.js";
import { freePort, type LocalServer } from "./local-server";
import { BIN, cliEnv, expectNoStackTrace, runCli, startCli, startServerForRun } from "./cli-helpers";
import { cleanUp, clientFor, createPool, inUse, tempDir, uniqueUser } from "./sdk-helpers";
import { until } from "./live-helpers";

let server: LocalServer;
let program: string;
beforeAll(async () => { ({ server, program } = await startServerForRun()); });
afterAll(() => cleanUp(server));

function poolEnv(pool: CreatePoolResponse, extra: Record<string, string> = {}) {
  return cliEnv(server, { SEATKEEPER_SERIAL: pool.serial, SEATKEEPER_PRODUCT_KEY: pool.productKey, ...extra });
}

/** Starts `seatkeeper run -- node program.cjs <marker> <code>` and waits until the program runs. */
async function runProgram(pool: CreatePoolResponse, exitCode: number) {
  const marker = path.join(tempDir(), "m");
  const run = startCli(["run", "--user", uniqueUser("run"), "--", process.execPath, program, marker, String(exitCode)], poolEnv(pool));
  await until(() => existsSync(`${marker}.started`) || run.child.exitCode !== null, "the program to start", 60_000);
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

  it("says it cannot reach the service (exit 4) when each connection is reset or closed at once, as a firewall does", async () => {
    // Which reason a client sees is a race, whichever way the connection is dropped. Node 20's fetch
    // can also miss a connection closed at once and wait for its time-out (docs/client.md), hence --timeout.
    for (const drop of ["reset", "close"] as const) {
      const sockets = new Set<import("node:net").Socket>();
      const firewall: Server = createServer((socket) => (drop === "reset" ? socket.resetAndDestroy() : socket.destroy()));
      firewall.on("connection", (s) => sockets.add(s));
      await new Promise<void>((resolve) => firewall.listen(0, "127.0.0.1", () => resolve()));
      try {
        const pool = await createPool(server, 1);
        const env = poolEnv(pool, { SEATKEEPER_URL: `http://127.0.0.1:${(firewall.address() as { port: number }).port}` });
        for (const transport of ["fetch", "node-http"]) {
          const marker = path.join(tempDir(), "m");
          const r = await runCli(["run", "--timeout", "2", "--", process.execPath, program, marker, "0"], { ...env, SEATKEEPER_TRANSPORT: transport });
          expect(r.code, `${drop}, ${transport}: ${r.stderr}`).toBe(4);
          expect(r.stderr).toMatch(/Cannot reach the Seatkeeper service at http:\/\/127\.0\.0\.1:\d+ \((the connection was (reset|closed before an answer came)|no answer within 2 s)\)/);
          expect(r.stderr).toContain("was not started");
          expect(existsSync(`${marker}.started`)).toBe(false);
          expectNoStackTrace(r);
          const checkout = await runCli(["checkout", "--timeout", "2"], { ...env, SEATKEEPER_TRANSPORT: transport });
          expect(checkout.code, `${drop}, ${transport}: ${checkout.stderr}`).toBe(4);
          expect(checkout.stderr).toMatch(/Cannot reach the Seatkeeper service/);
        }
      } finally {
        for (const s of sockets) s.destroy();
        await new Promise<void>((resolve) => firewall.close(() => resolve()));
      }
    }
  });

  it("keeps running its command, and gives the seat back, when its stderr is closed", async () => {
    const pool = await createPool(server, 1);
    const marker = path.join(tempDir(), "m");
    const child = spawn(process.execPath, [BIN, "run", "--user", uniqueUser("nostderr"), "--", process.execPath, program, marker, "5"], {
      cwd: tempDir(),
      env: poolEnv(pool),
      stdio: ["ignore", "ignore", "pipe"],
    });
    // The reader goes away before seatkeeper writes its first note: every write to stderr now fails (EPIPE).
    child.stderr!.destroy();
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    await until(() => existsSync(`${marker}.started`) || child.exitCode !== null, "the program to start", 60_000);
    expect(child.exitCode).toBeNull();
    expect(await inUse(server, pool.poolId)).toBe(1);
    writeFileSync(`${marker}.go`, "");
    expect(await exited).toBe(5);
    expect(await inUse(server, pool.poolId)).toBe(0);
  });

  it("runs the same over the node-http transport (SEATKEEPER_TRANSPORT=node-http, for Wine)", async () => {
    const pool = await createPool(server, 1);
    const holder = clientFor(server, pool);
    const r = await runCli(["run", "--", process.execPath, "-e", "process.exit(3)"], poolEnv(pool, { SEATKEEPER_TRANSPORT: "node-http" }));
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/seat taken \(1 of 1 seat in use\)/);
    expect(r.stderr).toMatch(/seat given back \(0 of 1 seat in use\)/);
    await holder.checkout();
    const full = await runCli(["run", "--", process.execPath, "-e", "process.exit(0)"], poolEnv(pool, { SEATKEEPER_TRANSPORT: "node-http" }));
    expect(full.code).toBe(3);
    expect(full.stderr).toContain("No seat is free");
    await holder.release();
    const refused = await runCli(["checkout"], poolEnv(pool, { SEATKEEPER_TRANSPORT: "node-http", SEATKEEPER_URL: `http://127.0.0.1:${await freePort()}` }));
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/\(connection refused\)/);
    const unknown = await runCli(["checkout"], poolEnv(pool, { SEATKEEPER_TRANSPORT: "curl" }));
    expect(unknown.code).toBe(5);
    expect(unknown.stderr).toContain('SEATKEEPER_TRANSPORT is "curl"; it is one of fetch, node-http');
  });

  it("asks for the command when none is given", async () => {
    const r = await runCli(["run", "--client-version", "2.0"], cliEnv(server));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Name the command to run after --");
  });
});
