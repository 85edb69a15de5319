import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ConfigurationError, defaultConfigDir, defaultIdentity, defaultPolicyFile, loadSettings, parseRegQueryOutput, resolveNodeConfig,
  SeatkeeperClient, type CreatePoolResponse,
} from "../../src/client/index.js";
import type { LocalServer } from "./local-server";
import { cleanUp, startServerWithPool, tempDir, uniqueUser } from "./sdk-helpers";

let server: LocalServer;
let pool: CreatePoolResponse;
beforeAll(async () => { ({ server, pool } = await startServerWithPool(2)); });
afterAll(() => cleanUp(server));

function policyFile(content: unknown): string {
  const file = path.join(tempDir("seatkeeper-policy-"), "policy.json");
  writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  return file;
}

/** `reg query HKLM\SOFTWARE\Policies\Seatkeeper` as Windows prints it. */
const regOutput = (values: Record<string, string>) =>
  ["", "HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Seatkeeper", ...Object.entries(values).map(([k, v]) => `    ${k}    REG_SZ    ${v}`), "", ""].join("\r\n");

describe("configuration, first match wins", () => {
  it("takes explicit options over environment over policy file over Group Policy", async () => {
    const file = policyFile({ url: "https://policy.example", serial: "SERIAL-FROM-POLICY", productKey: "KEY-FROM-POLICY", contact: "Policy desk" });
    const env = { SEATKEEPER_URL: "https://env.example", SEATKEEPER_SERIAL: "SERIAL-FROM-ENV" };
    const regQuery = async () => regOutput({ Url: "https://registry.example", Serial: "S-REG", ProductKey: "K-REG", Contact: "Registry desk" });

    const merged = await loadSettings({ options: { url: "https://option.example" }, env, policyFile: file, platform: "win32", regQuery });
    expect(merged.values).toEqual({ url: "https://option.example", serial: "SERIAL-FROM-ENV", productKey: "KEY-FROM-POLICY", contact: "Policy desk" });
    expect(merged.sources).toEqual({
      url: "options",
      serial: "environment (SEATKEEPER_SERIAL)",
      productKey: `policy file ${file}`,
      contact: `policy file ${file}`,
    });

    const registryOnly = await loadSettings({ env: {}, policyFile: path.join(tempDir(), "none.json"), platform: "win32", regQuery });
    expect(registryOnly.values).toEqual({ url: "https://registry.example", serial: "S-REG", productKey: "K-REG", contact: "Registry desk" });
    expect(registryOnly.sources.url).toBe("Group Policy (HKLM\\SOFTWARE\\Policies\\Seatkeeper)");
  });

  it("reads the registry only on Windows unless told to", async () => {
    let asked = 0;
    const regQuery = async () => (asked++, regOutput({ Url: "https://registry.example" }));
    const none = path.join(tempDir(), "none.json");
    expect((await loadSettings({ env: {}, policyFile: none, platform: "linux", regQuery })).values).toEqual({});
    expect(asked).toBe(0);
    expect((await loadSettings({ env: {}, policyFile: none, platform: "linux", registry: true, regQuery })).values.url).toBe("https://registry.example");
  });

  it("checks out with a serial and key from the policy file and the address from the environment", async () => {
    const file = policyFile({ serial: pool.serial, productKey: pool.productKey, url: "http://127.0.0.1:9" });
    const client = new SeatkeeperClient({
      env: { SEATKEEPER_URL: server.url, SEATKEEPER_POLICY_FILE: file, SEATKEEPER_CONFIG_DIR: tempDir() },
      registry: false,
      user: uniqueUser("policy"),
    });
    const cfg = await client.config();
    expect(cfg.sources).toMatchObject({ url: "environment (SEATKEEPER_URL)", serial: `policy file ${file}` });
    const seat = await client.checkout();
    expect(seat.pool.poolId).toBe(pool.poolId);
    await client.release();
  });

  it("lets the environment point at another policy file and config folder, so nothing touches /etc or the home folder", () => {
    expect(defaultPolicyFile({ SEATKEEPER_POLICY_FILE: "/tmp/p.json" }, "linux")).toBe("/tmp/p.json");
    expect(defaultPolicyFile({}, "linux")).toBe("/etc/seatkeeper/policy.json");
    expect(defaultPolicyFile({ ProgramData: "C:\\ProgramData" }, "win32")).toBe("C:\\ProgramData\\Seatkeeper\\policy.json");
    expect(defaultConfigDir({ SEATKEEPER_CONFIG_DIR: "/tmp/sk" }, "linux", "/home/ann")).toBe("/tmp/sk");
    expect(defaultConfigDir({}, "linux", "/home/ann")).toBe("/home/ann/.config/seatkeeper");
    expect(defaultConfigDir({ XDG_CONFIG_HOME: "/xdg" }, "linux", "/home/ann")).toBe("/xdg/seatkeeper");
    expect(defaultConfigDir({ LOCALAPPDATA: "C:\\Users\\ann\\AppData\\Local" }, "win32", "C:\\Users\\ann")).toBe("C:\\Users\\ann\\AppData\\Local\\Seatkeeper");
  });

  it("names every missing setting and how to provide it", async () => {
    const client = new SeatkeeperClient({ env: {}, policyFile: path.join(tempDir(), "none.json"), registry: false, configDir: tempDir() });
    const err = await client.checkout().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as ConfigurationError).code).toBe("not_configured");
    expect((err as ConfigurationError).missing).toEqual(["url", "serial", "productKey"]);
    expect((err as Error).message).toMatch(/SEATKEEPER_URL, SEATKEEPER_SERIAL, SEATKEEPER_PRODUCT_KEY/);
  });

  it("reports a broken policy file when it is needed, and only then", async () => {
    const broken = policyFile("{ not json");
    const needed = new SeatkeeperClient({ env: {}, policyFile: broken, registry: false, configDir: tempDir() });
    await expect(needed.checkout()).rejects.toThrow(/policy file .*policy\.json is not valid JSON/);

    const env = { SEATKEEPER_URL: server.url, SEATKEEPER_SERIAL: pool.serial, SEATKEEPER_PRODUCT_KEY: pool.productKey };
    const notNeeded = new SeatkeeperClient({ env, policyFile: broken, registry: false, configDir: tempDir(), user: uniqueUser("env") });
    expect((await notNeeded.config()).warnings[0]).toMatch(/not valid JSON/);
    await notNeeded.checkout();
    await notNeeded.release();
  });

  it("warns about settings it does not know, such as a misspelt key", async () => {
    const file = policyFile({ url: "https://x.example", serialNumber: "oops" });
    const merged = await loadSettings({ env: {}, policyFile: file, registry: false });
    expect(merged.warnings).toEqual([expect.stringContaining('unknown setting "serialNumber"')]);
  });
});

describe("identity defaults", () => {
  it("uses the OS user and host name, with no terminal session at the console", () => {
    const id = defaultIdentity({ env: { SESSIONNAME: "Console" }, platform: "win32", userName: () => "jsmith", hostName: () => "PC-0042" });
    expect(id).toEqual({ user: "jsmith", machine: "PC-0042" });
  });

  it("gives each Remote Desktop or Citrix session its own identity", () => {
    expect(defaultIdentity({ env: { SESSIONNAME: "RDP-Tcp#12", CLIENTNAME: "LAPTOP-7" }, platform: "win32" }).terminalSession).toBe("LAPTOP-7");
    expect(defaultIdentity({ env: { SESSIONNAME: "ICA-tcp#3" }, platform: "win32" }).terminalSession).toBe("ICA-tcp#3");
    expect(defaultIdentity({ env: { SESSIONNAME: "RDP-Tcp#12" }, platform: "linux" }).terminalSession).toBeUndefined();
  });

  it("lets every default be overridden", async () => {
    const cfg = await resolveNodeConfig({
      env: { SESSIONNAME: "RDP-Tcp#1", CLIENTNAME: "THIN-1" },
      policyFile: path.join(tempDir(), "none.json"),
      registry: false,
      user: "svc-render",
      machine: "RENDER-01",
      terminalSession: null,
      clientVersion: "3.1",
    });
    expect(cfg).toMatchObject({ user: "svc-render", machine: "RENDER-01", clientVersion: "3.1" });
    expect(cfg.terminalSession).toBeUndefined();
  });
});

describe("reg query output", () => {
  it("is parsed by value name, case-insensitively, expanding REG_EXPAND_SZ", () => {
    const out = [
      "",
      "HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Seatkeeper",
      "    url    REG_SZ    https://licensing.example.com",
      "    Serial    REG_SZ    SK-AAAA-BBBB-CCCC-DDDD-1E",
      "    ProductKey    REG_EXPAND_SZ    %KEYPREFIX%-22222-33333-44444-55555",
      "    Contact    REG_SZ    IT desk, ext. 4242",
      "    Other    REG_DWORD    0x1",
      "",
    ].join("\r\n");
    expect(parseRegQueryOutput(out, { KEYPREFIX: "11111" })).toEqual({
      url: "https://licensing.example.com",
      serial: "SK-AAAA-BBBB-CCCC-DDDD-1E",
      productKey: "11111-22222-33333-44444-55555",
      contact: "IT desk, ext. 4242",
    });
  });
});
