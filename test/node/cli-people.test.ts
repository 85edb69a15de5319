import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CreatePoolResponse } from "../../src/client/index.js";
import { cliEnv, expectNoStackTrace, runCli, startServerForVendor } from "./cli-helpers";
import type { LocalServer } from "./local-server";
import { cleanUp } from "./sdk-helpers";

let server: LocalServer;
let vendorEnv: Record<string, string>;
beforeAll(async () => { ({ server, vendorEnv } = await startServerForVendor()); });
afterAll(() => cleanUp(server));

describe("seatkeeper staff and seatkeeper admins", () => {
  it("adds a staff member whose token works at their role, disables them, and removes them", async () => {
    const added = await runCli(["staff", "add", "--email", "sam@vendor.example", "--name", "Sam", "--role", "viewer"], vendorEnv);
    expect(added.code, added.stderr).toBe(0);
    const token = /token {2}(ST-\S+)/.exec(added.stdout)![1]!;
    expect(added.stdout).toContain("shown this once");
    const staffId = /\((SF\w+)\)/.exec(added.stdout)![1]!;
    const sam = cliEnv(server, { SEATKEEPER_ADMIN_TOKEN: token });

    expect((await runCli(["pools", "list"], sam)).code).toBe(0);
    const refused = await runCli(["pools", "create", "--customer", "Nope", "--seats", "1"], sam);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^seatkeeper: The viewer role may not create pools/);
    expectNoStackTrace(refused);

    const list = await runCli(["staff", "list"], vendorEnv);
    expect(list.stdout).toMatch(/^ID\s+EMAIL\s+NAME\s+ROLE\s+STATE\n/);
    expect(list.stdout).toMatch(new RegExp(`${staffId}\\s+sam@vendor.example\\s+Sam\\s+viewer\\s+active`));

    expect((await runCli(["staff", "set", staffId, "--role", "sales"], vendorEnv)).stdout).toContain("is sales, active");
    expect((await runCli(["pools", "create", "--customer", "Sam's", "--seats", "1"], sam)).code).toBe(0);
    const fresh = await runCli(["staff", "token", staffId, "--json"], sam);
    const newToken = JSON.parse(fresh.stdout).token as string;
    expect((await runCli(["pools", "list"], sam)).code).not.toBe(0);
    const samAgain = cliEnv(server, { SEATKEEPER_ADMIN_TOKEN: newToken });
    expect((await runCli(["pools", "list"], samAgain)).code).toBe(0);

    expect((await runCli(["staff", "set", staffId, "--disable"], vendorEnv)).stdout).toContain("disabled");
    const disabled = await runCli(["pools", "list"], samAgain);
    expect(disabled.stderr).toMatch(/disabled/);
    expect((await runCli(["staff", "remove", staffId], vendorEnv)).code).toBe(0);
    expect((await runCli(["staff", "list", "--json"], vendorEnv)).stdout).not.toContain(staffId);
  });

  it("adds, lists and removes a pool's admins, and will not remove the last", async () => {
    const created = await runCli(["pools", "create", "--customer", "Admins Ltd", "--seats", "2", "--json"], vendorEnv);
    const pool = JSON.parse(created.stdout) as CreatePoolResponse;
    const it = cliEnv(server, { SEATKEEPER_ADMIN_TOKEN: pool.adminKey });
    const added = await runCli(["admins", "add", "--name", "Kim", "--email", "kim@admins.example"], it);
    expect(added.code, added.stderr).toBe(0);
    const key = /admin key {2}(AK-\S+)/.exec(added.stdout)![1]!;
    const kimId = /\((AD\w+)\)/.exec(added.stdout)![1]!;
    const list = await runCli(["admins", "list"], cliEnv(server, { SEATKEEPER_ADMIN_TOKEN: key }));
    expect(list.stdout).toMatch(/first admin/);
    expect(list.stdout).toMatch(/Kim\s+kim@admins.example/);
    const first = JSON.parse((await runCli(["admins", "list", "--json"], it)).stdout).admins[0].adminId as string;
    expect((await runCli(["admins", "remove", kimId], it)).code).toBe(0);
    const last = await runCli(["admins", "remove", first], it);
    expect(last.code).toBe(1);
    expect(last.stderr).toMatch(/last admin/);
    expectNoStackTrace(last);
  });
});
