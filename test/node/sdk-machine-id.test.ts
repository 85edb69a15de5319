/**
 * The machineId a checkout sends: read from the operating system by default, set or turned
 * off like any other setting, hashed, never a failure; and the service holding a seat to it.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  hashMachineId, loadSettings, readSystemMachineId, resolveNodeConfig, TooManySessionsError, WINDOWS_MACHINE_KEY, type CreatePoolResponse,
} from "../../src/client/index.js";
import { startLocalServer, type LocalServer } from "./local-server";
import { cliEnv, expectNoStackTrace, runCli } from "./cli-helpers";
import { cleanUp, clientFor, createPool, isolatedClient, tempDir, uniqueUser, vendor } from "./sdk-helpers";

let server: LocalServer;
beforeAll(async () => { server = await startLocalServer(); });
afterAll(() => cleanUp(server));

const GUID = "4c4c4544-0042-3510-8052-b4c04f4d3732";
/** `reg query HKLM\SOFTWARE\Microsoft\Cryptography` as Windows prints it. */
const cryptographyKey = ["", `HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Cryptography`, `    MachineGuid    REG_SZ    ${GUID}`, "", ""].join("\r\n");

describe("reading the operating system's machine id", () => {
  it("takes Windows' MachineGuid from the registry, macOS's IOPlatformUUID from ioreg, Linux's /etc/machine-id", async () => {
    let asked: string | undefined;
    const win = await readSystemMachineId({ platform: "win32", regQuery: async (key) => ((asked = key), cryptographyKey) });
    expect(asked).toBe(WINDOWS_MACHINE_KEY);
    expect(win).toEqual({ value: GUID, source: `MachineGuid (${WINDOWS_MACHINE_KEY})` });

    const ioreg = ['+-o J314sAP  <class IOPlatformExpertDevice, id 0x100000254, registered, matched, active, busy 0 (36 ms), retain 37>', '  {', '    "IOPlatformSerialNumber" = "C02XL0GHJGH6"', '    "IOPlatformUUID" = "A1B2C3D4-E5F6-4711-8899-AABBCCDDEEFF"', "  }"].join("\n");
    expect(await readSystemMachineId({ platform: "darwin", ioreg: async () => ioreg })).toEqual({ value: "A1B2C3D4-E5F6-4711-8899-AABBCCDDEEFF", source: "IOPlatformUUID (ioreg)" });

    const files: Record<string, string> = { "/etc/machine-id": "uninitialized\n", "/var/lib/dbus/machine-id": "0123456789abcdef0123456789abcdef\n" };
    const readFile = async (f: string) => {
      if (files[f] === undefined) throw Object.assign(new Error("ENOENT"), { code: "ENOENT" });
      return files[f]!;
    };
    // systemd's "uninitialized" (first boot) is no id: D-Bus's copy is used instead.
    expect(await readSystemMachineId({ platform: "linux", readFile })).toEqual({ value: "0123456789abcdef0123456789abcdef", source: "/var/lib/dbus/machine-id" });
    files["/etc/machine-id"] = "fedcba9876543210fedcba9876543210\n";
    expect(await readSystemMachineId({ platform: "linux", readFile })).toEqual({ value: "fedcba9876543210fedcba9876543210", source: "/etc/machine-id" });
  });

  it("gives none, without failing, where nothing can be read", async () => {
    expect(await readSystemMachineId({ platform: "win32", regQuery: async () => undefined })).toBeUndefined();
    expect(await readSystemMachineId({ platform: "win32", regQuery: async () => { throw new Error("reg.exe blocked by policy"); } })).toBeUndefined();
    expect(await readSystemMachineId({ platform: "darwin", ioreg: async () => undefined })).toBeUndefined();
    // A container image ships an empty /etc/machine-id and no D-Bus.
    expect(await readSystemMachineId({ platform: "linux", readFile: async (f) => (f === "/etc/machine-id" ? "" : Promise.reject(new Error("ENOENT"))) })).toBeUndefined();
  });

  it("sends a SHA-256 of this machine's /etc/machine-id by default, never the id itself", async () => {
    const raw = readFileSync("/etc/machine-id", "utf8").trim();
    const cfg = await resolveNodeConfig({ env: {}, policyFile: path.join(tempDir(), "none.json"), registry: false });
    expect(cfg.machineIdSource).toBe("/etc/machine-id");
    expect(cfg.machineId).toBe(await hashMachineId(raw));
    expect(cfg.machineId).toMatch(/^[0-9a-f]{64}$/);
    expect(cfg.machineId).not.toContain(raw);
    // Case and surrounding space do not change it (a GUID is the same in either case); another id does.
    expect(await hashMachineId(` ${GUID.toUpperCase()} `)).toBe(await hashMachineId(GUID));
    expect(await hashMachineId("another")).not.toBe(await hashMachineId(GUID));
  });

  it("is set or turned off like the other settings: option, environment, policy file, Group Policy", async () => {
    const none = path.join(tempDir(), "none.json");
    const base = { policyFile: none, registry: false };
    expect(await resolveNodeConfig({ ...base, env: {}, machineId: "golden-image-7" })).toMatchObject({ machineId: await hashMachineId("golden-image-7"), machineIdSource: "options" });
    const off = await resolveNodeConfig({ ...base, env: {}, machineId: null });
    expect(off.machineId).toBeUndefined();
    expect(off.machineIdSource).toBe("turned off (options)");
    expect(await resolveNodeConfig({ ...base, env: { SEATKEEPER_MACHINE_ID: "none" } })).toMatchObject({ machineIdSource: "turned off (environment (SEATKEEPER_MACHINE_ID))" });
    expect((await resolveNodeConfig({ ...base, env: { SEATKEEPER_MACHINE_ID: "vm-42" } })).machineId).toBe(await hashMachineId("vm-42"));

    const file = path.join(tempDir(), "policy.json");
    writeFileSync(file, JSON.stringify({ machineId: "None" }));
    const fromPolicy = await resolveNodeConfig({ env: {}, policyFile: file, registry: false });
    expect(fromPolicy.machineId).toBeUndefined();
    expect(fromPolicy.machineIdSource).toBe(`turned off (policy file ${file})`);
    expect(fromPolicy.warnings).toEqual([]); // a known setting, not a typo

    const gp = await loadSettings({ env: {}, policyFile: none, platform: "win32", regQuery: async () => "\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Seatkeeper\r\n    MachineId    REG_SZ    none\r\n" });
    expect(gp.values.machineId).toBe("none");
    expect(gp.sources.machineId).toBe("Group Policy (HKLM\\SOFTWARE\\Policies\\Seatkeeper)");
  });
});

describe("what a checkout sends", () => {
  it("is the hash of the configured or system id, never the id itself, and nothing when turned off", async () => {
    const bodies: Array<Record<string, unknown>> = [];
    const catcher = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c));
      req.on("end", () => {
        bodies.push(JSON.parse(body) as Record<string, unknown>);
        res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: { code: "not_found", message: "caught" } }));
      });
    });
    await new Promise<void>((resolve) => catcher.listen(0, "127.0.0.1", () => resolve()));
    const url = `http://127.0.0.1:${(catcher.address() as { port: number }).port}`;
    try {
      const send = (machineId: string | null | undefined, env: Record<string, string> = {}) =>
        isolatedClient({ url, serial: "SK-X", productKey: "K", env, ...(machineId === undefined ? {} : { machineId }) }).checkout().catch(() => undefined);
      await send(GUID);
      await send(undefined, { SEATKEEPER_MACHINE_ID: "vm-42" });
      await send(undefined);
      await send(null);
      expect(bodies.map((b) => b.machineId)).toEqual([
        await hashMachineId(GUID),
        await hashMachineId("vm-42"),
        await hashMachineId(readFileSync("/etc/machine-id", "utf8")),
        undefined,
      ]);
      expect(JSON.stringify(bodies)).not.toContain(GUID);
      expect(JSON.stringify(bodies)).not.toContain("vm-42");
    } finally {
      await new Promise((resolve) => catcher.close(resolve));
    }
  });
});

describe("a seat held to its machine, against the local service", () => {
  let pool: CreatePoolResponse;
  beforeAll(async () => {
    pool = await createPool(server, 1);
  });

  it("refuses the same user and machine name from another machine, with a clear error, and admits the same machine", async () => {
    const user = uniqueUser("jsmith");
    const first = clientFor(server, pool, { user, machine: "PC-0042", machineId: "11111111-aaaa-4bbb-8ccc-000000000001" });
    const seat = await first.checkout();
    expect(seat.seatShared).toBe(false);

    const copied = clientFor(server, pool, { user, machine: "PC-0042", machineId: "22222222-aaaa-4bbb-8ccc-000000000002" });
    const err = await copied.checkout().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TooManySessionsError);
    expect(err).toMatchObject({ code: "too_many_sessions", status: 409, reason: "machine_mismatch" });
    // One without a machine id cannot join a seat bound to one either.
    await expect(clientFor(server, pool, { user, machine: "PC-0042", machineId: null }).checkout()).rejects.toMatchObject({ reason: "machine_mismatch" });

    // The user at start-up reads what happened and what to do, from the CLI.
    const env = cliEnv(server, { SEATKEEPER_SERIAL: pool.serial, SEATKEEPER_PRODUCT_KEY: pool.productKey, SEATKEEPER_CONTACT: "IT desk, ext. 4242" });
    const cli = await runCli(["checkout", "--user", user, "--machine", "PC-0042", "--machine-id", "33333333-aaaa-4bbb-8ccc-000000000003"], env);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toBe(
      "seatkeeper: Your seat is in use on another computer that has the same user and computer name as this one.\n" +
        "Close the program on that computer, or ask IT desk, ext. 4242 to free the seat. If it is this very computer, its machine id changed: IT desk, ext. 4242 can free the seat.\n",
    );
    expectNoStackTrace(cli);

    // The same machine (its id read again, in another case) joins its own seat.
    const again = clientFor(server, pool, { user, machine: "pc-0042", machineId: "11111111-AAAA-4BBB-8CCC-000000000001" });
    expect((await again.checkout()).seatShared).toBe(true);
    await again.release();
    await first.release();
  });

  it("tells the user in plain words when the seat carries too many sessions or addresses", async () => {
    const own = await createPool(server, 1);
    const admin = vendor(server);
    await admin.updatePool(own.poolId, { maxSessionsPerSeat: 2, maxAddressesPerSeat: 1, refuseWidelySharedSeats: true });
    const user = uniqueUser("team");
    const env = cliEnv(server, { SEATKEEPER_SERIAL: own.serial, SEATKEEPER_PRODUCT_KEY: own.productKey });

    const one = clientFor(server, own, { user, machineId: null });
    await one.checkout();
    // From a second address: over maxAddressesPerSeat (1) on a pool that refuses it.
    const elsewhere = await clientFor(server, own, { user, machineId: null, headers: { "CF-Connecting-IP": "203.0.113.9" } }).checkout().catch((e: unknown) => e);
    expect(elsewhere).toMatchObject({ code: "too_many_sessions", reason: "addresses", max: 1 });

    await clientFor(server, own, { user, machineId: null }).checkout();
    const third = await runCli(["checkout", "--user", user, "--machine", "PC-TEST", "--machine-id", "none"], env);
    expect(third.code).toBe(1);
    expect(third.stderr).toBe(
      "seatkeeper: The program already runs 2 times on your seat, the most this licence allows.\n" +
        "Close one of those windows (or a copy left running in the background) and start again.\n",
    );
    const json = await runCli(["checkout", "--user", user, "--machine", "PC-TEST", "--machine-id", "none", "--json"], env);
    expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: "too_many_sessions", details: { reason: "sessions", max: 2 } } });
  });

  it("marks a seat used from more addresses than the pool allows in `seatkeeper seats list`", async () => {
    const own = await createPool(server, 2);
    await vendor(server).updatePool(own.poolId, { maxAddressesPerSeat: 2 });
    const user = uniqueUser("shared");
    for (const address of ["198.51.100.1", "198.51.100.2", "198.51.100.3"]) {
      await clientFor(server, own, { user, machineId: null, headers: { "CF-Connecting-IP": address } }).checkout();
    }
    const alone = uniqueUser("alone");
    await clientFor(server, own, { user: alone, machineId: null }).checkout();
    const r = await runCli(["seats", "list"], cliEnv(server, { SEATKEEPER_ADMIN_TOKEN: own.adminKey }));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split("\n").find((l) => l.includes(user))).toMatch(/ 3 +shared from many addresses$/);
    expect(r.stdout.split("\n").find((l) => l.includes(alone))).toMatch(/ 1$/);
    expect(r.stdout).toContain("1 seat is shared from many addresses");
  });
});
