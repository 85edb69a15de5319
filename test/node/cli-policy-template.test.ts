import { DOMParser, type Document, type Element } from "@xmldom/xmldom";
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadSettings, parseRegQueryOutput } from "../../src/client/index.js";
import { cliEnv, runCli } from "./cli-helpers";
import { removeTempDirs, tempDir } from "./sdk-helpers";

const GP = "http://schemas.microsoft.com/GroupPolicy/2006/07/PolicyDefinitions";
const values = {
  url: "https://licensing.contoso.example",
  serial: "SK-GK3M-9Q2X-B4TN-8W1R-1H", // a well-formed serial: its check character is right
  productKey: "7HQ2M-X4KPA-9RT3V-BN8WC-2ZDYE",
  contact: 'IT service desk "Helpline", ext. 4242 & C:\\Help',
};

/** Parses XML, failing on anything that is not well-formed. */
function parseXml(text: string): Document {
  return new DOMParser({
    onError: (level, message) => {
      throw new Error(`${level}: ${message}`);
    },
  }).parseFromString(text, "text/xml");
}

const elements = (doc: Document | Element, name: string): Element[] => Array.from(doc.getElementsByTagNameNS(GP, name));

/** The values of a .reg file, by key: `"Name"="data"` with \\ and \" escapes. */
function parseRegFile(text: string): { header: string; keys: Map<string, Map<string, string>> } {
  const lines = text.split("\r\n");
  const keys = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  for (const line of lines.slice(1)) {
    if (line === "" || line.startsWith(";")) continue;
    const key = /^\[(.+)\]$/.exec(line);
    if (key) {
      current = new Map();
      keys.set(key[1]!, current);
      continue;
    }
    const value = /^"((?:[^"\\]|\\.)*)"="((?:[^"\\]|\\.)*)"$/.exec(line);
    if (!value || !current) throw new Error(`not a .reg line: ${line}`);
    const unescape = (s: string) => s.replace(/\\(.)/g, "$1");
    current.set(unescape(value[1]!), unescape(value[2]!));
  }
  return { header: lines[0]!, keys };
}

async function writeTemplates(args: string[] = []) {
  const out = path.join(tempDir("seatkeeper-policy-"), "policy");
  const r = await runCli(["policy-template", "--out", out, ...args], cliEnv(undefined));
  expect(r.code, r.stderr).toBe(0);
  return { out, r };
}

afterAll(() => removeTempDirs());

describe("seatkeeper policy-template", () => {
  it("writes a .reg file regedit reads: UTF-16LE with BOM, the version 5 header, the policy key and its values", async () => {
    const { out, r } = await writeTemplates(["--url", values.url, "--serial", values.serial, "--product-key", values.productKey, "--contact", values.contact]);
    expect(r.stdout).toContain(`Wrote the Seatkeeper policy to ${out}:`);
    const bytes = readFileSync(path.join(out, "seatkeeper.reg"));
    expect([...bytes.subarray(0, 2)]).toEqual([0xff, 0xfe]);
    const text = bytes.subarray(2).toString("utf16le");
    expect(text).not.toMatch(/[^\r]\n/);
    const reg = parseRegFile(text);
    expect(reg.header).toBe("Windows Registry Editor Version 5.00");
    expect([...reg.keys.keys()]).toEqual(["HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Seatkeeper"]);
    const key = reg.keys.get("HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Seatkeeper")!;
    expect(Object.fromEntries(key)).toEqual({ Url: values.url, Serial: values.serial, ProductKey: values.productKey, Contact: values.contact });

    // What `reg query` prints once the file is imported is what the SDK reads back.
    const regQuery = ["", "HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Seatkeeper", ...[...key].map(([n, v]) => `    ${n}    REG_SZ    ${v}`), ""].join("\r\n");
    expect(parseRegQueryOutput(regQuery)).toEqual(values);
  });

  it("writes an ADMX/ADML pair that parse as XML and agree with each other and the registry key", async () => {
    const { out } = await writeTemplates(["--url", values.url, "--contact", values.contact]);
    const admx = parseXml(readFileSync(path.join(out, "seatkeeper.admx"), "utf8"));
    const adml = parseXml(readFileSync(path.join(out, "en-US", "seatkeeper.adml"), "utf8"));
    expect(admx.documentElement!.localName).toBe("policyDefinitions");
    expect(admx.documentElement!.namespaceURI).toBe(GP);
    expect(adml.documentElement!.localName).toBe("policyDefinitionResources");
    expect(adml.documentElement!.namespaceURI).toBe(GP);

    const policies = elements(admx, "policy");
    expect(policies.map((p) => p.getAttribute("name"))).toEqual(["ServiceAndPool", "Contact", "Group"]);
    for (const p of policies) {
      expect(p.getAttribute("class")).toBe("Machine");
      expect(p.getAttribute("key")).toBe("Software\\Policies\\Seatkeeper");
    }
    const texts = elements(admx, "text");
    expect(texts.map((t) => t.getAttribute("valueName"))).toEqual(["Url", "Serial", "ProductKey", "Contact", "Group"]);

    // Every $(string.X) and $(presentation.X) the ADMX names exists in the ADML.
    const strings = new Set(elements(adml, "string").map((s) => s.getAttribute("id")));
    const presentations = new Map(elements(adml, "presentation").map((p) => [p.getAttribute("id"), p]));
    const refs = [...readFileSync(path.join(out, "seatkeeper.admx"), "utf8").matchAll(/\$\((string|presentation)\.([^)]+)\)/g)];
    expect(refs.length).toBeGreaterThan(6);
    for (const [, kind, id] of refs) {
      if (kind === "string") expect(strings.has(id!), `string ${id}`).toBe(true);
      else expect(presentations.has(id!), `presentation ${id}`).toBe(true);
    }
    // Each text box of a presentation belongs to a text element of its policy.
    for (const p of policies) {
      const presentation = presentations.get(p.getAttribute("presentation")!.replace(/^\$\(presentation\.|\)$/g, ""))!;
      const boxes = elements(presentation, "textBox").map((b) => b.getAttribute("refId"));
      expect(boxes).toEqual(elements(p, "text").map((t) => t.getAttribute("id")));
    }
    // Values given are offered as defaults in the editor, escaped.
    const defaults = elements(adml, "defaultValue").map((d) => d.textContent);
    expect(defaults).toEqual([values.url, values.contact]);
    expect(readFileSync(path.join(out, "en-US", "seatkeeper.adml"), "utf8")).toContain("&quot;Helpline&quot;");
  });

  it("--group writes a department's files: the registry value Group, the policy file's group and the ADML's default", async () => {
    const { out } = await writeTemplates(["--url", values.url, "--serial", values.serial, "--product-key", values.productKey, "--group", "Design"]);
    const reg = readFileSync(path.join(out, "seatkeeper.reg")).subarray(2).toString("utf16le");
    expect(reg).toContain('"Group"="Design"');
    expect(JSON.parse(readFileSync(path.join(out, "policy.json"), "utf8")).group).toBe("Design");
    expect(readFileSync(path.join(out, "en-US", "seatkeeper.adml"), "utf8")).toContain("<defaultValue>Design</defaultValue>");
  });

  it("writes the JSON policy file that the SDK reads", async () => {
    const { out } = await writeTemplates(["--url", values.url, "--serial", values.serial, "--product-key", values.productKey]);
    const file = path.join(out, "policy.json");
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ url: values.url, serial: values.serial, productKey: values.productKey });
    if (process.platform !== "win32") expect(statSync(file).mode & 0o044).toBe(0o044); // every user's applications read it
    const merged = await loadSettings({ env: {}, policyFile: file, registry: false });
    expect(merged.values).toEqual({ url: values.url, serial: values.serial, productKey: values.productKey });
    expect(merged.warnings).toEqual([]);
  });

  it("uses placeholders for what it is not told, and says so", async () => {
    const { out, r } = await writeTemplates();
    expect(r.stdout).toContain("Placeholders stand for the service address (https://licensing.example.com), the serial number");
    expect(JSON.parse(readFileSync(path.join(out, "policy.json"), "utf8"))).toEqual({
      url: "https://licensing.example.com",
      serial: "SK-XXXX-XXXX-XXXX-XXXX-XX",
      productKey: "XXXXX-XXXXX-XXXXX-XXXXX-XXXXX",
    });
    expect(existsSync(path.join(out, "seatkeeper.admx"))).toBe(true);
  });

  it("never overwrites files without --force", async () => {
    const { out } = await writeTemplates();
    const again = await runCli(["policy-template", "--out", out], cliEnv(undefined));
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("already exists. Pass --force to overwrite it");
    const forced = await runCli(["policy-template", "--out", out, "--force", "--json"], cliEnv(undefined));
    expect(forced.code).toBe(0);
    expect(JSON.parse(forced.stdout).files).toHaveLength(4);
  });

  it("refuses a malformed serial number, and writes nothing", async () => {
    const out = path.join(tempDir("seatkeeper-policy-"), "policy");
    for (const serial of ["SK-GK3M-9Q2X-B4TN-8W1R-1C", "SK-NOPE", "GK3M9Q2XB4TN8W1R"]) {
      const r = await runCli(["policy-template", "--out", out, "--serial", serial], cliEnv(undefined));
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`"${serial}" is not a Seatkeeper serial number. One reads like SK-GK3M-9Q2X-B4TN-8W1R-1H`);
      expect(existsSync(out)).toBe(false);
    }
    const lower = await writeTemplates(["--serial", values.serial.toLowerCase().replace(/-/g, "")]);
    expect(lower.r.stderr).toBe("");
  });

  it("warns on an http:// service address, and refuses one that is not a URL", async () => {
    const { out, r } = await writeTemplates(["--url", "http://licensing.contoso.example"]);
    expect(r.stderr).toContain("warning: http://licensing.contoso.example is not https://: the product key and session tokens would cross the network unencrypted.");
    expect(JSON.parse(readFileSync(path.join(out, "policy.json"), "utf8")).url).toBe("http://licensing.contoso.example");
    const quiet = await writeTemplates(["--url", values.url]);
    expect(quiet.r.stderr).toBe("");
    const bad = await runCli(["policy-template", "--out", path.join(tempDir(), "p"), "--url", "licensing.contoso.example"], cliEnv(undefined));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('The service address "licensing.contoso.example" is not a URL');
  });

  it("refuses a contact or address holding a line break or another control character, and writes nothing", async () => {
    const cases: Array<[string[], Record<string, string>, string]> = [
      [["--contact", "IT desk\r\n\"Serial\"=\"SK-FORGED\""], {}, 'The contact for licence questions (--contact or SEATKEEPER_CONTACT) holds a line break or another control character: "IT desk\\r\\n\"Serial\"=\"SK-FORGED\""'],
      [["--url", "https://licensing.contoso.example/\nx"], {}, "The service address (--url or SEATKEEPER_URL) holds a line break"],
      [[], { SEATKEEPER_CONTACT: "Help\u0085desk" }, '"Help\\u0085desk". Give it on one line of plain text.'],
      [["--contact", "desk \u202eevil"], {}, "desk \\u202eevil"],
      [["--contact", "tab\tinside"], {}, "tab\\tinside"],
    ];
    for (const [args, env, message] of cases) {
      const out = path.join(tempDir("seatkeeper-policy-"), "policy");
      const r = await runCli(["policy-template", "--out", out, ...args], cliEnv(undefined, env));
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(message);
      expect(r.stderr.split("\n")[0]).toMatch(/^seatkeeper: The /);
      expect(existsSync(out)).toBe(false);
    }
    // A plain contact still goes into the .reg file as one value.
    const { out } = await writeTemplates(["--contact", "IT desk, ext. 4242"]);
    expect(parseRegFile(readFileSync(path.join(out, "seatkeeper.reg")).subarray(2).toString("utf16le")).keys.get("HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Seatkeeper")?.get("Contact")).toBe("IT desk, ext. 4242");
  });
});
