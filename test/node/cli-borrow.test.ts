import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { leaseDate, type CreatePoolResponse } from "../../src/client/index.js";
import type { LocalServer } from "./local-server";
import { cliEnv, expectNoStackTrace, runCli } from "./cli-helpers";
import { cleanUp, inUse, startServerWithPool, TcpRelay, uniqueUser, vendor } from "./sdk-helpers";

let server: LocalServer;
let pool: CreatePoolResponse;
beforeAll(async () => { ({ server, pool } = await startServerWithPool(3)); });
afterAll(() => cleanUp(server));

describe("seatkeeper borrow, run offline, return", () => {
  it("borrows, runs offline on the lease with the network cut, refuses a clock gone back, and returns the seat", async () => {
    const relay = new TcpRelay(server.port);
    await relay.open();
    const user = uniqueUser("planner");
    const env = cliEnv(undefined, {
      SEATKEEPER_URL: relay.url, SEATKEEPER_SERIAL: pool.serial, SEATKEEPER_PRODUCT_KEY: pool.productKey, SEATKEEPER_MACHINE_ID: "guid-of-the-laptop",
    });
    const ids = ["--user", user, "--machine", "LAPTOP-7"];

    const off = await runCli(["borrow", "--days", "5", ...ids], env);
    expect(off.code).toBe(1);
    expect(off.stderr).toMatch(/does not allow borrowing/);
    expectNoStackTrace(off);

    const set = await runCli(["pools", "set", pool.poolId, "--max-borrow-days", "10", "--max-borrowed-seats", "2"], cliEnv(server, { SEATKEEPER_ADMIN_TOKEN: server.vendorToken }));
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toMatch(/up to 10 days, at most 2 seats at once/);

    const borrowed = await runCli(["borrow", "--days", "5", ...ids, "--json"], env);
    expect(borrowed.code, borrowed.stderr).toBe(0);
    const { until, seatId } = JSON.parse(borrowed.stdout);
    expect(await inUse(server, pool.poolId)).toBe(1);
    const listed = await runCli(["seats", "list", pool.poolId], cliEnv(server, { SEATKEEPER_ADMIN_TOKEN: server.vendorToken }));
    expect(listed.stdout).toMatch(new RegExp(`${seatId}.*borrowed until`));

    await relay.close();
    const offline = await runCli(["run", ...ids, "--", process.execPath, "-e", "process.exit(3)"], env);
    expect(offline.code, offline.stderr).toBe(3);
    expect(offline.stdout + offline.stderr).toContain(`working offline on a borrowed seat until ${leaseDate(until)}`);

    // the clock set back behind the latest time this computer has seen
    const dir = path.join(env.SEATKEEPER_CONFIG_DIR!, "leases");
    const file = path.join(dir, readdirSync(dir)[0]!);
    const stored = JSON.parse(readFileSync(file, "utf8"));
    writeFileSync(file, JSON.stringify({ ...stored, latestSeenAt: Date.now() + 86_400_000 }));
    const setBack = await runCli(["run", ...ids, "--", process.execPath, "-e", "process.exit(0)"], env);
    expect(setBack.code).toBe(4);
    expect(setBack.stderr).toMatch(/clock is behind a time it has already seen/);
    expect(setBack.stderr).toMatch(/was not started/);
    expectNoStackTrace(setBack);
    writeFileSync(file, JSON.stringify(stored));

    const returned = await runCli(["return"], env);
    expect(returned.code, returned.stderr).toBe(0);
    expect(returned.stdout).toMatch(/learns at the next connection/);
    expect(await inUse(server, pool.poolId)).toBe(1);

    await relay.open();
    const online = await runCli(["run", ...ids, "--", process.execPath, "-e", "process.exit(0)"], env);
    expect(online.code, online.stderr).toBe(0);
    expect(await inUse(server, pool.poolId)).toBe(0);
    const types = (await vendor(server).events(pool.poolId, { limit: 30 })).events.map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(["borrowed", "returned"]));
    await relay.close();
  });
});
