import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SeatkeeperAdmin, type CreatePoolResponse } from "../../src/client/index.js";
import type { LocalServer } from "./local-server";
import { cliEnv, startCli, startServerForRun } from "./cli-helpers";
import { cleanUp, createPool, inUse, tempDir, uniqueUser } from "./sdk-helpers";
import { InspectingRelay, until } from "./live-helpers";

let server: LocalServer;
let program: string;
beforeAll(async () => { ({ server, program } = await startServerForRun()); });
afterAll(() => cleanUp(server));

const FREED = "warning: an administrator freed this seat; ";

async function runUntilFreed(pool: CreatePoolResponse, url: string, extraArgs: string[]) {
  const marker = path.join(tempDir(), "m");
  const run = startCli(
    ["run", "--user", uniqueUser("run"), ...extraArgs, "--", process.execPath, program, marker, "3"],
    cliEnv(server, { SEATKEEPER_URL: url, SEATKEEPER_SERIAL: pool.serial, SEATKEEPER_PRODUCT_KEY: pool.productKey }),
  );
  let stderr = "";
  let freedAt = 0;
  run.child.stderr!.on("data", (d) => {
    stderr += d;
    if (!freedAt && stderr.includes(FREED)) freedAt = performance.now();
  });
  await until(() => existsSync(`${marker}.started`) || run.child.exitCode !== null, "the program to start", 60_000);
  const sessionId = readFileSync(`${marker}.started`, "utf8");
  const admin = new SeatkeeperAdmin({ url: server.url, token: pool.adminKey });
  const seat = (await admin.listSeats(pool.poolId)).seats.find((s) => s.sessions.some((x) => x.sessionId === sessionId))!;
  return { run, marker, admin, seat, stderr: () => stderr, freedAt: () => freedAt };
}

describe("seatkeeper run with the live channel", () => {
  it("says within a second that an administrator freed the seat, and the command carries on to its own exit code", async () => {
    const pool = await createPool(server, 1);
    const r = await runUntilFreed(pool, server.url, []);
    // The channel is open once the server holds it: a free before that would be learnt from the 410 of the upgrade instead.
    await new Promise((res) => setTimeout(res, 500));
    await r.admin.freeSeat(pool.poolId, r.seat.seatId);
    const answered = performance.now();
    await until(() => r.freedAt() > 0, "the freed warning", 5_000);
    const gap = r.freedAt() - answered;
    console.log(`seatkeeper run said the seat was freed ${Math.round(gap)} ms after the free's answer`);
    expect(gap).toBeLessThan(1000);
    expect(r.stderr()).toContain(`${FREED}${process.execPath} carries on, but no longer holds a seat.`);
    expect(r.run.child.exitCode).toBeNull(); // still running

    writeFileSync(`${r.marker}.go`, "");
    const result = await r.run.result;
    expect(result.code).toBe(3);
    expect(await inUse(server, pool.poolId)).toBe(0);
  });

  it("with --no-live opens no channel", async () => {
    const pool = await createPool(server, 1);
    const relay = new InspectingRelay(server.port, { refuseUpgrades: false });
    await relay.open();
    try {
      const r = await runUntilFreed(pool, relay.url, ["--no-live"]);
      await new Promise((res) => setTimeout(res, 500));
      writeFileSync(`${r.marker}.go`, "");
      expect((await r.run.result).code).toBe(3);
      expect(relay.upgrades()).toHaveLength(0);
      expect(relay.seen.length).toBeGreaterThan(0);
    } finally {
      await relay.close();
    }
  });
});
