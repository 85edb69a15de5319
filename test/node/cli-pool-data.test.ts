/** `seatkeeper pools export|erase|delete` against the service as `npm start` runs it (no jurisdictions, said so). */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CreatePoolResponse } from "../../src/client/index.js";
import { BIN, cliEnv, expectNoStackTrace, runCli, startServerForVendor, type CliResult } from "./cli-helpers";
import type { LocalServer } from "./local-server";
import { cleanUp, tempDir } from "./sdk-helpers";

let server: LocalServer;
let vendorEnv: Record<string, string>;
beforeAll(async () => { ({ server, vendorEnv } = await startServerForVendor()); });
afterAll(() => cleanUp(server));

/** The CLI with `input` typed on its standard input. */
function runCliTyping(args: string[], env: Record<string, string>, input: string): Promise<CliResult> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: env.HOME, env, stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  child.stdin.end(input);
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

async function checkoutAndRelease(pool: CreatePoolResponse, user: string, machine: string): Promise<void> {
  const res = await fetch(`${server.url}/v1/sessions`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ serial: pool.serial, productKey: pool.productKey, user, machine }),
  });
  expect(res.status).toBe(201);
  const s = (await res.json()) as { sessionId: string; token: string };
  expect((await fetch(`${server.url}/v1/sessions/${s.sessionId}`, { method: "DELETE", headers: { authorization: `Bearer ${s.token}` } })).status).toBe(200);
}

describe("pools export, erase and delete", () => {
  it("creates an EU pool, exports it to a file, erases a person with --yes, and deletes it once its id is typed back", async () => {
    const created = await runCli(["pools", "create", "--customer", "Beispiel AG", "--seats", "3", "--region", "eu", "--location-hint", "weur", "--retention-days", "30", "--json"], vendorEnv);
    expect(created.code, created.stderr).toBe(0);
    const pool = JSON.parse(created.stdout) as CreatePoolResponse;
    expect(pool).toMatchObject({ region: "eu", locationHint: "weur", retentionDays: 30 });
    expect(pool.poolId).toMatch(/^E/);
    const shown = await runCli(["pools", "show"], cliEnv(server, { SEATKEEPER_ADMIN_TOKEN: pool.adminKey }));
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain("EU (its data stays in the EU jurisdiction), placed near weur");
    expect(shown.stdout).toContain("30 days");

    await checkoutAndRelease(pool, "Max Mustermann", "PC-MAX");
    await checkoutAndRelease(pool, "erika", "PC-ERIKA");

    const file = path.join(tempDir(), "export.ndjson");
    const exported = await runCli(["pools", "export", pool.poolId, "--output", file], vendorEnv);
    expect(exported.code, exported.stderr).toBe(0);
    const records = readFileSync(file, "utf8").trimEnd().split("\n").map((l) => JSON.parse(l));
    expect(exported.stdout).toContain(`Exported ${records.length} records of pool ${pool.poolId}`);
    expect(records[0]).toMatchObject({ kind: "pool", poolId: pool.poolId, region: "eu" });
    expect(records.filter((r) => r.kind === "seat").map((r) => r.user).sort()).toEqual(["Max Mustermann", "erika"]);

    // no confirmation to read: nothing is erased
    const unconfirmed = await runCli(["pools", "erase", pool.poolId, "--user", "max mustermann"], vendorEnv);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain("Nothing was erased");
    expectNoStackTrace(unconfirmed);
    const erased = await runCli(["pools", "erase", pool.poolId, "--user", "max mustermann", "--yes", "--json"], vendorEnv);
    expect(erased.code, erased.stderr).toBe(0);
    expect(JSON.parse(erased.stdout)).toEqual({ records: 4, seats: 1, sessions: 1, events: 2, tickets: 0, deliveries: 0 });
    const after = await runCli(["pools", "export", pool.poolId], vendorEnv);
    expect(after.stdout).not.toContain("Mustermann");
    expect(after.stdout).toContain("erika");

    const wrongId = await runCliTyping(["pools", "delete", pool.poolId], vendorEnv, "GNOTTHISPOOL\n");
    expect(wrongId.code).toBe(2);
    expect(wrongId.stderr).toContain("Nothing was deleted");
    expect((await runCli(["pools", "show", pool.poolId], vendorEnv)).code).toBe(0);

    const deleted = await runCliTyping(["pools", "delete", pool.poolId], vendorEnv, `${pool.poolId.toLowerCase()}\n`);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stderr).toContain(`Type the pool id (${pool.poolId})`);
    expect(deleted.stdout).toContain(`Deleted pool ${pool.poolId}`);
    const res = await fetch(`${server.url}/v1/sessions`, {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ serial: pool.serial, productKey: pool.productKey, user: "erika", machine: "PC-ERIKA" }),
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("invalid_credentials");
    const list = await runCli(["pools", "list", "--json"], vendorEnv);
    expect(JSON.parse(list.stdout).pools.map((p: { poolId: string }) => p.poolId)).not.toContain(pool.poolId);
  });
});
