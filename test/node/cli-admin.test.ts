import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CredentialsRevokedError, SessionEndedError, type CreatePoolResponse } from "../../src/client/index.js";
import type { LocalServer } from "./local-server";
import { cliEnv, expectNoStackTrace, runCli, startServerForVendor } from "./cli-helpers";
import { cleanUp, clientFor, uniqueUser } from "./sdk-helpers";

let server: LocalServer;
let vendorEnv: Record<string, string>;
beforeAll(async () => { ({ server, vendorEnv } = await startServerForVendor()); });
afterAll(() => cleanUp(server));

async function cliPool(customer: string, seats: number): Promise<CreatePoolResponse> {
  const r = await runCli(["pools", "create", "--customer", customer, "--seats", String(seats), "--json"], vendorEnv);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as CreatePoolResponse;
}

describe("operator commands", () => {
  it("creates a pool, shows its secrets once, and lists it", async () => {
    const r = await runCli(["pools", "create", "--customer", "Contoso GmbH", "--seats", "5", "--min-client-version", "16"], vendorEnv);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Pool G\w{15} for Contoso GmbH\n/);
    expect(r.stdout).toMatch(/product key {9}[0-9A-Z]{5}(-[0-9A-Z]{5}){4}/);
    expect(r.stdout).toMatch(/admin key {11}AK-/);
    expect(r.stdout).toContain("shown this once");

    const list = await runCli(["pools", "list"], vendorEnv);
    expect(list.stdout).toMatch(/^POOL\s+CUSTOMER\s+IN USE\s+SEATS\n/);
    expect(list.stdout).toMatch(/Contoso GmbH\s+0\s+5/);
  });

  it("lets an IT department work with its admin key alone, the pool read from the key", async () => {
    const pool = await cliPool("Fabrikam", 3);
    const it = cliEnv(server, { SEATKEEPER_ADMIN_TOKEN: pool.adminKey });
    const show = await runCli(["pools", "show"], it);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain(`Pool ${pool.poolId} for Fabrikam`);
    expect(show.stdout).toContain("0 of 3 in use");

    const set = await runCli(["pools", "set", "--min-client-version", "2.5", "--json"], it);
    expect(JSON.parse(set.stdout)).toMatchObject({ minClientVersion: "2.5" });

    // Seats are the vendor's to change.
    const seats = await runCli(["pools", "set", "--seats", "50"], it);
    expect(seats.code).toBe(1);
    expect(seats.stderr).toMatch(/^seatkeeper: Only the vendor can change the number of seats; ask your vendor's sales team for more seats\.?\n/);
    expectNoStackTrace(seats);
    const after = JSON.parse((await runCli(["pools", "show", "--json"], it)).stdout);
    expect(after).toMatchObject({ seats: 3, minClientVersion: "2.5" });
    const vendorSet = await runCli(["pools", "set", pool.poolId, "--seats", "4", "--min-client-version", "none", "--json"], vendorEnv);
    expect(JSON.parse(vendorSet.stdout)).toMatchObject({ seats: 4, minClientVersion: null });

    // Listing every pool is the vendor's too.
    const list = await runCli(["pools", "list"], it);
    expect(list.code).toBe(1);
    expect(list.stderr).toContain("needs the vendor token");
  });

  it("lists who holds seats and frees one; the holder learns it at its next heartbeat", async () => {
    const pool = await cliPool("Northwind", 2);
    const user = uniqueUser("jsmith");
    const client = clientFor(server, pool, { user, machine: "PC-0042", terminalSession: "RDP-Tcp#12" });
    const seat = await client.checkout();
    const env = cliEnv(server, { SEATKEEPER_ADMIN_TOKEN: pool.adminKey });

    const list = await runCli(["seats", "list"], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(`${seat.seatId}  ${user} on PC-0042 (RDP-Tcp#12)`);
    const json = JSON.parse((await runCli(["seats", "list", "--json"], env)).stdout);
    expect(json.seats[0]).toMatchObject({ seatId: seat.seatId, user, sessions: [{ sessionId: seat.sessionId }] });

    const free = await runCli(["seats", "free", seat.seatId], env);
    expect(free.code).toBe(0);
    expect(free.stdout).toContain(`Seat ${seat.seatId} freed`);
    const err = await client.heartbeat().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SessionEndedError);
    expect((err as SessionEndedError).reason).toBe("freed");
  });

  it("rotates credentials, ending sessions when asked, and the old pair is refused", async () => {
    const pool = await cliPool("Tailspin", 2);
    const client = clientFor(server, pool);
    await client.checkout();
    const r = await runCli(["credentials", "rotate", "--pool", pool.poolId, "--end-sessions", "--json"], vendorEnv);
    expect(r.code).toBe(0);
    const fresh = JSON.parse(r.stdout);
    expect(fresh).toMatchObject({ serial: expect.stringMatching(/^SK-/), sessionsEnded: 1 });
    expect(fresh.serial).not.toBe(pool.serial);
    await expect(client.heartbeat()).rejects.toMatchObject({ reason: "revoked" });
    await expect(clientFor(server, pool).checkout()).rejects.toBeInstanceOf(CredentialsRevokedError);
    const next = clientFor(server, { ...pool, serial: fresh.serial, productKey: fresh.productKey });
    await next.checkout();
    await next.release();
  });

  it("rotates the admin key: the old one stops working, the new one works", async () => {
    const pool = await cliPool("Litware", 1);
    const old = cliEnv(server, { SEATKEEPER_ADMIN_TOKEN: pool.adminKey });
    const r = await runCli(["admin-keys", "rotate"], old);
    expect(r.code).toBe(0);
    const newKey = /New admin key: (AK-[\w-]+)/.exec(r.stdout)![1]!;
    const refused = await runCli(["pools", "show"], old);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("--token or SEATKEEPER_ADMIN_TOKEN");
    const ok = await runCli(["pools", "show", "--token", newKey], cliEnv(server));
    expect(ok.code).toBe(0);
  });

  it("shows the audit log and a usage chart with denials", async () => {
    const pool = await cliPool("Adatum", 1);
    const holder = clientFor(server, pool, { user: "holder" });
    await holder.checkout();
    await expect(clientFor(server, pool, { user: "turned-away" }).checkout()).rejects.toMatchObject({ code: "pool_full" });
    await holder.release();

    const events = await runCli(["events", "--pool", pool.poolId], vendorEnv);
    expect(events.code).toBe(0);
    const lines = events.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^TIME \(UTC\)\s+EVENT\s+WHO\s+BY\s+DETAILS$/);
    expect(lines.slice(1).map((l) => l.split(/\s{2,}/)[1])).toEqual(["release", "denied", "checkout", "pool_created"]);
    expect(events.stdout).toMatch(/denied\s+turned-away on PC-TEST\s+-\s+reason=pool_full seats=1 inUse=1/);

    const usage = await runCli(["usage", "--pool", pool.poolId], vendorEnv);
    expect(usage.code).toBe(0);
    expect(usage.stdout).toContain("peak seats in use (of 1)");
    // The hour of the denial, whichever it was: the holder's seat at its peak, and the one turned away.
    const hours = usage.stdout.split("\n").filter((l) => l.includes("│"));
    expect(hours.filter((l) => /│█{30}│ 1 {2}▒+ 1$/.test(l))).toHaveLength(1);
    expect(hours.filter((l) => l.includes("▒"))).toHaveLength(1);
    expect(usage.stdout).toContain("Peak 1 of 1; 1 checkout; 1 denial");
    const json = JSON.parse((await runCli(["usage", "--pool", pool.poolId, "--bucket", "day", "--json"], vendorEnv)).stdout);
    expect(json.bucket).toBe("day");
    const days = json.buckets as { peakInUse: number; checkouts: number; denials: number }[];
    expect(days.filter((b) => b.denials > 0)).toEqual([expect.objectContaining({ peakInUse: 1, denials: 1 })]);
    expect(days.reduce((n, b) => n + b.checkouts, 0)).toBe(1);
  });

  it("asks for a credential when none is given", async () => {
    const r = await runCli(["pools", "list"], cliEnv(server));
    expect(r.code).toBe(5);
    expect(r.stderr).toContain("No admin credential given. Pass the vendor token or the pool's admin key with --token, or set SEATKEEPER_ADMIN_TOKEN.");
  });
});
