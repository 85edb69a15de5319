import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCsv } from "../../scripts/import-pools";
import { ROOT, startLocalServer, type LocalServer } from "./local-server";

const run = promisify(execFile);
let server: LocalServer;
let dir: string;

beforeAll(async () => {
  server = await startLocalServer();
  dir = mkdtempSync(path.join(tmpdir(), "import-"));
});
afterAll(async () => {
  await server?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

async function importCsv(input: string, out: string) {
  try {
    const r = await run(process.execPath, ["--import", "tsx", path.join(ROOT, "scripts", "import-pools.ts"), input, "--out", out, "--url", server.url], {
      cwd: ROOT,
      env: { ...process.env, SEATKEEPER_ADMIN_TOKEN: server.vendorToken },
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e: any) {
    return { code: e.code as number, stdout: e.stdout as string, stderr: e.stderr as string };
  }
}

async function listPools() {
  const res = await fetch(`${server.url}/v1/pools?limit=1000`, { headers: { authorization: `Bearer ${server.vendorToken}` } });
  return ((await res.json()) as any).pools as any[];
}

describe("importing pools from an on-premises licence manager", () => {
  it("creates the good rows, reports the bad ones by line, and creates nothing twice when run again", async () => {
    const input = path.join(dir, "pools.csv");
    const out = path.join(dir, "created.csv");
    writeFileSync(
      input,
      [
        "customer,seats,minClientVersion",
        "Acme Ltd,25,16.0",
        '"Smith, Jones & Co",5',
        "Bad Seats Ltd,lots",
        ",3",
        "Negative Inc,-2",
        "Version Ltd,4,v16",
        "Tiny Ltd,1",
        "Tiny Ltd,1",
        "",
      ].join("\n"),
    );
    const first = await importCsv(input, out);
    expect(first.code).toBe(1); // bad rows make the run fail loudly, after the good ones are done
    expect(first.stderr).toMatch(/line 4: seats must be a whole number/);
    expect(first.stderr).toMatch(/line 5: customer/);
    expect(first.stderr).toMatch(/line 6: seats must be a whole number/);
    expect(first.stderr).toMatch(/line 7: minClientVersion/);
    expect(first.stdout).toMatch(/4 created, 0 already created earlier, 4 bad rows skipped/);

    const rows = parseCsv(readFileSync(out, "utf8"));
    expect(rows[0]!.fields).toEqual(["key", "line", "customer", "seats", "minClientVersion", "poolId", "serial", "productKey", "adminKey"]);
    const created = rows.slice(1).map((r) => r.fields);
    expect(created.map((f) => [f[1], f[2], f[3], f[4]])).toEqual([
      ["2", "Acme Ltd", "25", "16.0"],
      ["3", "Smith, Jones & Co", "5", ""],
      ["8", "Tiny Ltd", "1", ""],
      ["9", "Tiny Ltd", "1", ""],
    ]);
    expect(statSync(out).mode & 0o777).toBe(0o600);

    // every created pool exists with its settings, and its serial and key check a seat out
    const pools = await listPools();
    for (const f of created) expect(pools.find((p) => p.poolId === f[5])).toMatchObject({ customer: f[2], seats: Number(f[3]) });
    const acme = created[0]!;
    const checkout = await fetch(`${server.url}/v1/sessions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ serial: acme[6], productKey: acme[7], user: "ann", machine: "PC-1", clientVersion: "16.1" }),
    });
    expect(checkout.status).toBe(201);
    const adminView = await fetch(`${server.url}/v1/pools/${acme[5]}`, { headers: { authorization: `Bearer ${acme[8]}` } });
    expect(((await adminView.json()) as any).minClientVersion).toBe("16.0");

    const second = await importCsv(input, out);
    expect(second.stdout).toMatch(/0 created, 4 already created earlier/);
    expect((await listPools()).length).toBe(pools.length);
    expect(parseCsv(readFileSync(out, "utf8"))).toHaveLength(5);

    // a row added later is created on the next run, and only it
    writeFileSync(input, readFileSync(input, "utf8") + "Late Ltd,7\n");
    const third = await importCsv(input, out);
    expect(third.stdout).toMatch(/1 created, 4 already created earlier/);
    expect((await listPools()).length).toBe(pools.length + 1);
  });
});
