import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CreatePoolResponse } from "../../src/client/index.js";
import type { LocalServer } from "./local-server";
import { cliEnv, expectNoStackTrace, runCli } from "./cli-helpers";
import { cleanUp, inUse, startServerWithPool, TcpRelay, tempDir, uniqueUser } from "./sdk-helpers";

let server: LocalServer;
let pool: CreatePoolResponse;
beforeAll(async () => { ({ server, pool } = await startServerWithPool(2)); });
afterAll(() => cleanUp(server));

const poolEnv = (extra: Record<string, string> = {}) =>
  cliEnv(server, { SEATKEEPER_SERIAL: pool.serial, SEATKEEPER_PRODUCT_KEY: pool.productKey, ...extra });

describe("seatkeeper checkout, status and release", () => {
  it("takes a seat in one command and gives it back in another", async () => {
    const env = poolEnv();
    const out = await runCli(["checkout", "--user", uniqueUser("script"), "--json"], env);
    expect(out.code).toBe(0);
    const seat = JSON.parse(out.stdout);
    expect(seat).toMatchObject({ sessionId: expect.stringMatching(/^ses_/), pool: { poolId: pool.poolId, inUse: 1 }, url: server.url });
    expect(await inUse(server, pool.poolId)).toBe(1);

    const status = await runCli(["status"], env);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(seat.sessionId);
    expect(status.stdout).toMatch(/active/);

    const released = await runCli(["release"], env);
    expect(released.code).toBe(0);
    expect(released.stdout).toContain(`${seat.sessionId}: released, seat returned to the pool (0 of 2 seats now in use).`);
    expect(await inUse(server, pool.poolId)).toBe(0);

    const again = await runCli(["release"], env);
    expect(again).toMatchObject({ code: 0, stdout: "No seat is held by `seatkeeper checkout` on this account: nothing to release.\n" });
  });

  it("prints people's output by default, naming the session to release", async () => {
    const env = poolEnv();
    const out = await runCli(["checkout", "--user", "ann", "--machine", "PC-0042"], env);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^Seat taken for ann on PC-0042\.\n {2}session {2}ses_\w+\n {2}seat {5}seat_\w+\n {2}pool {5}\w+: 1 of 2 seats in use\nGive it back with: seatkeeper release ses_\w+\n$/);
    const id = /release (ses_\w+)/.exec(out.stdout)![1]!;
    expect((await runCli(["release", id], env)).code).toBe(0);
  });

  it("releases a session by its token, from a script that kept only the token", async () => {
    const taken = await runCli(["checkout", "--json", "--user", uniqueUser("token")], poolEnv());
    const { token, sessionId } = JSON.parse(taken.stdout);
    const r = await runCli(["release", "--session-token", token, "--json"], cliEnv(server));
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ released: [{ sessionId, released: true, seatFreed: true }] });
  });

  it("journals a release made offline, and the next checkout gives the seat back", async () => {
    const relay = new TcpRelay(server.port);
    await relay.open();
    const env = poolEnv({ SEATKEEPER_URL: relay.url });
    const user = uniqueUser("offline");
    expect((await runCli(["checkout", "--user", user], env)).code).toBe(0);
    expect(await inUse(server, pool.poolId)).toBe(1);
    await relay.close();

    const r = await runCli(["release"], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("the release is journalled and happens at the next checkout");
    expect((await runCli(["status"], env)).stdout).toContain("1 release journalled while offline");

    await relay.open();
    const next = await runCli(["checkout", "--user", uniqueUser("next"), "--json"], env);
    expect(next.code).toBe(0);
    expect(JSON.parse(next.stdout).pool.inUse).toBe(1); // the journalled seat went back before this one was taken
    expect((await runCli(["release"], env)).code).toBe(0);
    expect(await inUse(server, pool.poolId)).toBe(0);
    await relay.close();
  });
});

describe("seatkeeper config", () => {
  it("shows each setting, where it comes from, and hides the product key", async () => {
    const policy = path.join(tempDir(), "policy.json");
    writeFileSync(policy, JSON.stringify({ serial: pool.serial, productKey: pool.productKey, contact: "Helpdesk" }));
    const r = await runCli(["config", "--json"], cliEnv(server, { SEATKEEPER_POLICY_FILE: policy }));
    expect(r.code).toBe(0);
    const cfg = JSON.parse(r.stdout);
    expect(cfg.sources).toEqual({
      url: "environment (SEATKEEPER_URL)",
      serial: `policy file ${policy}`,
      productKey: `policy file ${policy}`,
      contact: `policy file ${policy}`,
    });
    expect(cfg.settings.productKey).not.toContain(pool.productKey.slice(6));
    expect(cfg.policyFile).toBe(policy);

    const human = await runCli(["config", "--url", "https://flag.example"], cliEnv(server, { SEATKEEPER_POLICY_FILE: policy }));
    expect(human.stdout).toMatch(/service address\s+https:\/\/flag\.example\s+options/);
  });
});

describe("errors name the problem and the fix, never a stack trace", () => {
  it("says what is missing when nothing is configured (exit 5)", async () => {
    const r = await runCli(["checkout"], cliEnv(undefined));
    expect(r.code).toBe(5);
    expect(r.stderr).toContain("No service address, serial number or product key is configured for Seatkeeper.");
    expect(r.stderr).toContain("SEATKEEPER_URL, SEATKEEPER_SERIAL, SEATKEEPER_PRODUCT_KEY");
    expectNoStackTrace(r);
  });

  it("points at `seatkeeper config` for a wrong product key", async () => {
    const r = await runCli(["checkout"], poolEnv({ SEATKEEPER_PRODUCT_KEY: "AAAAA-BBBBB-CCCCC-DDDDD-EEEEE" }));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("The serial number or product key is not valid.");
    expect(r.stderr).toContain("`seatkeeper config` shows where the serial number and product key come from");
    expectNoStackTrace(r);
  });

  it("gives the contract's error shape on stderr with --json", async () => {
    const r = await runCli(["checkout", "--json"], poolEnv({ SEATKEEPER_SERIAL: "SK-NOPE" }));
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(JSON.parse(r.stderr)).toMatchObject({ error: { code: "invalid_credentials", message: expect.any(String), fix: expect.any(String) } });
  });

  it("explains wrong usage (exit 2)", async () => {
    const unknown = await runCli(["checkout", "--colour"], cliEnv(server));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe("seatkeeper: checkout has no option --colour.\nRun `seatkeeper help checkout` for how to call it.\n");
    const nothing = await runCli(["frobnicate"], cliEnv(server));
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('There is no command "frobnicate"');
    const help = await runCli(["help", "run"], cliEnv(server));
    expect(help.stdout).toContain("seatkeeper run [--wait] [--client-version V]");
  });

  it("refuses a service address that is not one", async () => {
    const r = await runCli(["checkout", "--url", "licensing.example.com"], poolEnv());
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('The service address "licensing.example.com" is not a URL; give it as https://licensing.example.com.');
  });
});
