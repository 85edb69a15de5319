import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TicketEndedError, type CreatePoolResponse } from "../../src/client/index.js";
import { startLocalServer, type LocalServer } from "./local-server";
import { cliEnv, expectNoStackTrace, runCli, startCli } from "./cli-helpers";
import { cleanUp, clientFor, createPool, inUse, poolAdmin, tempDir, uniqueUser } from "./sdk-helpers";
import { until } from "./live-helpers";

let server: LocalServer;
beforeAll(async () => {
  server = await startLocalServer();
});
afterAll(() => cleanUp(server));

const admin = (pool: CreatePoolResponse) => poolAdmin(server, pool);

function poolEnv(pool: CreatePoolResponse, extra: Record<string, string> = {}) {
  return cliEnv(server, { SEATKEEPER_SERIAL: pool.serial, SEATKEEPER_PRODUCT_KEY: pool.productKey, ...extra });
}

/** A command that leaves a file behind when it runs: proof it was (or was not) started. */
function markerCommand(): { marker: string; command: string[] } {
  const marker = path.join(tempDir(), "started");
  return { marker, command: [process.execPath, "-e", `require("node:fs").writeFileSync(${JSON.stringify(marker)}, "ran")`] };
}

/** An SDK client waiting in the pool's queue. */
function sdkWaiter(pool: CreatePoolResponse) {
  const client = clientFor(server, pool, { user: uniqueUser("sdk-waiter") });
  const places: number[] = [];
  const seat = client.checkout({ wait: true, onQueued: (p) => places.push(p), pollIntervalMs: 200 });
  seat.catch(() => undefined);
  return { client, places, seat };
}

describe("seatkeeper run --wait", () => {
  it("prints its place in line as it changes, and starts the command when the seat arrives", async () => {
    const pool = await createPool(server, 1);
    const holder = clientFor(server, pool);
    await holder.checkout();
    const ahead = sdkWaiter(pool);
    await until(() => ahead.places.length > 0, "the SDK waiter to queue");

    const { marker, command } = markerCommand();
    const run = startCli(["run", "--wait", "--user", uniqueUser("cli"), "--", ...command], poolEnv(pool));
    let stderr = "";
    run.child.stderr!.on("data", (d) => (stderr += d));
    await until(() => /waiting for a seat: 2nd of 2/.test(stderr), "the CLI to say it is 2nd of 2", 60_000);
    expect(stderr).toMatch(/waiting for a seat: 2nd of 2 \(Ctrl-C leaves the queue\)/);
    expect(existsSync(marker)).toBe(false);

    await holder.release();
    await ahead.seat;
    await until(() => /waiting for a seat: 1st of 1/.test(stderr), "the CLI to move up", 60_000);
    expect(existsSync(marker)).toBe(false);
    await ahead.client.release();

    const r = await run.result;
    expect(r.code).toBe(0);
    expect(existsSync(marker)).toBe(true);
    expect(r.stderr).toMatch(/waiting for a seat: 2nd of 2[^\n]*\n(.*\n)*seatkeeper: waiting for a seat: 1st of 1\n(.*\n)*seatkeeper: seat taken \(1 of 1 seat in use\)/);
    expect(r.stderr).toMatch(/seat given back \(0 of 1 seat in use\)/);
    expect(await inUse(server, pool.poolId)).toBe(0);
  }, 150_000);

  it("leaves the queue on Ctrl-C (SIGINT), exits 130 and never starts the command", async () => {
    const pool = await createPool(server, 1);
    const holder = clientFor(server, pool);
    await holder.checkout();
    const { marker, command } = markerCommand();
    const run = startCli(["run", "--wait", "--user", uniqueUser("cli"), "--", ...command], poolEnv(pool));
    let stderr = "";
    run.child.stderr!.on("data", (d) => (stderr += d));
    await until(() => /waiting for a seat: 1st of 1/.test(stderr), "the CLI to queue");
    expect((await admin(pool).queue(pool.poolId)).waiting).toHaveLength(1);

    run.child.kill("SIGINT");
    const r = await run.result;
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/left the queue; .* was not started/);
    expectNoStackTrace(r);
    expect((await admin(pool).queue(pool.poolId)).waiting).toEqual([]);
    // nobody waits any more: the holder's release leaves the seat free, and the command never ran
    await holder.release();
    expect(await inUse(server, pool.poolId)).toBe(0);
    expect(existsSync(marker)).toBe(false);
  });
});

describe("a full pool without --wait", () => {
  it("says the user also holds a seat on another machine since when, and release-own frees it", async () => {
    const pool = await createPool(server, 1);
    const user = uniqueUser("dana");
    // the office copy is closed without a word: no live channel, so nothing says it is active
    const office = clientFor(server, pool, { user, machine: "OFFICE-PC", live: false });
    const held = await office.checkout();

    const { marker, command } = markerCommand();
    const env = poolEnv(pool);
    const r = await runCli(["run", "--user", user, "--machine", "LAPTOP-7", "--", ...command], env);
    expect(r.code).toBe(3);
    expectNoStackTrace(r);
    expect(r.stderr).toContain("No seat is free: the pool's only seat is in use.");
    expect(r.stderr).toContain(`You also hold a seat on OFFICE-PC since today at `);
    expect(r.stderr).toContain(`free it with: seatkeeper release-own ${held.seatId}`);
    expect(existsSync(marker)).toBe(false);

    const json = await runCli(["run", "--json", "--user", user, "--machine", "LAPTOP-7", "--", ...command], env);
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stderr).error.details.ownSeats).toEqual([expect.objectContaining({ seatId: held.seatId, machine: "OFFICE-PC" })]);

    const freed = await runCli(["release-own", held.seatId, "--user", user, "--machine", "LAPTOP-7"], env);
    expect(freed.stderr).toBe("");
    expect(freed.code).toBe(0);
    expect(freed.stdout).toMatch(new RegExp(`Your seat ${held.seatId} is free.*0 of 1 seat now in use`));
    expect(await inUse(server, pool.poolId)).toBe(0);

    const again = await runCli(["run", "--user", user, "--machine", "LAPTOP-7", "--", ...command], env);
    expect(again.code).toBe(0);
    expect(existsSync(marker)).toBe(true);
  });

  it("release-own is refused while the program there is open and in use, and for someone else's seat", async () => {
    const pool = await createPool(server, 1);
    const user = uniqueUser("eli");
    const office = clientFor(server, pool, { user, machine: "OFFICE-PC" });
    const held = await office.checkout();
    await until(() => office.liveState === "open", "the office's live channel to open");

    const active = await runCli(["release-own", held.seatId, "--user", user, "--machine", "LAPTOP-7"], poolEnv(pool));
    expect(active.code).toBe(1);
    expect(active.stderr).toMatch(/That seat is in use: the program holding it is open and in use right now\./);
    expectNoStackTrace(active);
    const other = await runCli(["release-own", held.seatId, "--user", uniqueUser("someone"), "--machine", "LAPTOP-7"], poolEnv(pool));
    expect(other.code).toBe(1);
    expect(await inUse(server, pool.poolId)).toBe(1);
    await office.release();
  });
});

describe("seatkeeper queue", () => {
  it("lists who waits (table and --json) and removes a waiter", async () => {
    const pool = await createPool(server, 1);
    await clientFor(server, pool).checkout();
    const w = sdkWaiter(pool);
    await until(() => w.places.length > 0, "the waiter to queue");
    const env = cliEnv(server, { SEATKEEPER_ADMIN_TOKEN: pool.adminKey });

    const listed = await runCli(["queue", "list"], env);
    expect(listed.code).toBe(0);
    const [header, row] = listed.stdout.split("\n");
    expect(header).toMatch(/^#\s+WAITING\s+SINCE\s+TICKET$/);
    expect(row).toMatch(new RegExp(`^1\\s+sdk-waiter-\\d+-\\d+ on PC-TEST\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d\\s+tkt_`));
    expect(listed.stdout).toMatch(/1 waiter, first in line first/);

    const json = await runCli(["queue", "list", "--json"], env);
    const { waiting } = JSON.parse(json.stdout) as { waiting: { ticketId: string; position: number }[] };
    expect(waiting).toHaveLength(1);
    expect(waiting[0]!.position).toBe(1);

    const removed = await runCli(["queue", "remove", waiting[0]!.ticketId], env);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toMatch(/taken out of the queue/);
    await expect(w.seat).rejects.toBeInstanceOf(TicketEndedError);
    expect((await runCli(["queue", "list"], env)).stdout).toMatch(/^Nobody waits for a seat of pool /);

    const again = await runCli(["queue", "remove", waiting[0]!.ticketId], env);
    expect(again.code).toBe(1);
    expectNoStackTrace(again);
    const usage = await runCli(["queue", "remove"], env);
    expect(usage.code).toBe(2);
  });
});

describe("seatkeeper pools set, for waiting users", () => {
  it("sets idle reclaim and turns self-release off, shows them, and refuses values out of range", async () => {
    const pool = await createPool(server, 1);
    const env = cliEnv(server, { SEATKEEPER_ADMIN_TOKEN: pool.adminKey });
    const set = await runCli(["pools", "set", "--reclaim-idle-minutes", "20", "--reclaim-grace-minutes", "0", "--self-release", "off"], env);
    expect(set.stderr).toBe("");
    expect(set.code).toBe(0);
    expect(set.stdout).toContain("idle seats          taken back for someone waiting after 20 idle minutes, with 0 minutes' warning");
    expect(set.stdout).toContain("self-release        off (only admins free seats)");
    expect(await admin(pool).getPool(pool.poolId)).toMatchObject({ reclaimIdleMinutes: 20, reclaimGraceMinutes: 0, selfRelease: false });

    const bad = await runCli(["pools", "set", "--reclaim-grace-minutes", "61"], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--reclaim-grace-minutes must be a whole number from 0 to 60");
    const badSwitch = await runCli(["pools", "set", "--self-release", "maybe"], env);
    expect(badSwitch.code).toBe(2);

    const off = await runCli(["pools", "set", "--reclaim-idle-minutes", "none", "--self-release", "on", "--json"], env);
    expect(JSON.parse(off.stdout)).toMatchObject({ reclaimIdleMinutes: null, selfRelease: true });
  });
});
