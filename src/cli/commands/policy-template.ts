/** `seatkeeper policy-template`: writes the files an IT department deploys. */
import { promises as fs } from "node:fs";
import path from "node:path";
import { ConfigurationError, envNames, normalizeServiceUrl, settingLabels, type Settings } from "../../client/index.js";
// The one parser of the serial format; it lives with the Worker, src/contract has none.
import { parseSerial } from "../../worker/credentials.js";
import { flag, noMorePositionals, parse, stringOption, UsageError } from "../args.js";
import type { Command } from "../context.js";
import { EXIT } from "../describe-error.js";
import { hasControl, printable } from "../output.js";
import { encodeRegFile, PLACEHOLDERS, renderAdml, renderAdmx, renderPolicyJson, renderRegFile } from "../policy-files.js";

export const policyTemplateCommand: Command = {
  name: "policy-template",
  summary: "write the .reg file, ADMX/ADML pair and JSON policy file for IT departments",
  usage: "seatkeeper policy-template [--out DIR] [--url URL] [--serial S] [--product-key K] [--contact TEXT] [--group NAME] [--force]",
  async run(args, ctx) {
    const p = parse("policy-template", args, {
      out: { type: "string" },
      serial: { type: "string" },
      "product-key": { type: "string" },
      contact: { type: "string" },
      group: { type: "string" },
      force: { type: "boolean" },
    });
    noMorePositionals(p, "policy-template", 0);
    const dir = path.resolve(ctx.cwd, stringOption(p, "out") ?? "seatkeeper-policy");
    const pick = (option: string, env: string) => stringOption(p, option) ?? (ctx.env[env]?.trim() || undefined);
    const values: Settings = {};
    const url = pick("url", envNames.url);
    if (url) values.url = url;
    const serial = pick("serial", envNames.serial);
    if (serial) values.serial = serial;
    const productKey = pick("product-key", envNames.productKey);
    if (productKey) values.productKey = productKey;
    const contact = pick("contact", envNames.contact);
    if (contact) values.contact = contact;
    const group = pick("group", envNames.group);
    if (group) values.group = group;

    // A line break would end the .reg string and start lines of its own; no setting has a use for any control character.
    for (const [name, option] of [["url", "--url"], ["serial", "--serial"], ["productKey", "--product-key"], ["contact", "--contact"], ["group", "--group"]] as const) {
      const v = values[name];
      if (v !== undefined && hasControl(v)) {
        throw new UsageError(
          `The ${settingLabels[name]} (${option} or ${envNames[name]}) holds a line break or another control character: "${printable(v)}". Give it on one line of plain text.`,
          "policy-template",
        );
      }
    }
    // A mistake here reaches every machine the policy is deployed to: refuse it now, not at each start.
    if (values.serial && !parseSerial(values.serial)) {
      throw new UsageError(
        `"${values.serial}" is not a Seatkeeper serial number. One reads like SK-GK3M-9Q2X-B4TN-8W1R-1H (SK, the pool id, then a check character); copy it again from where the pool was created.`,
        "policy-template",
      );
    }
    if (values.url) {
      try {
        normalizeServiceUrl(values.url);
      } catch (err) {
        if (err instanceof ConfigurationError) throw new UsageError(err.message, "policy-template");
        throw err;
      }
      if (/^\s*http:/i.test(values.url)) {
        ctx.out.warn(`${values.url} is not https://: the product key and session tokens would cross the network unencrypted. Use http:// only for a service on the same machine.`);
      }
    }

    const files: Array<{ file: string; content: string | Buffer; what: string }> = [
      { file: path.join(dir, "seatkeeper.reg"), content: encodeRegFile(renderRegFile(values)), what: "registry values for HKLM\\SOFTWARE\\Policies\\Seatkeeper (reg import)" },
      { file: path.join(dir, "seatkeeper.admx"), content: renderAdmx(), what: "Group Policy template: copy to PolicyDefinitions\\" },
      { file: path.join(dir, "en-US", "seatkeeper.adml"), content: renderAdml(values), what: "its English texts: copy to PolicyDefinitions\\en-US\\" },
      { file: path.join(dir, "policy.json"), content: renderPolicyJson(values), what: "policy file: /etc/seatkeeper/policy.json, or %ProgramData%\\Seatkeeper\\policy.json" },
    ];
    if (!flag(p, "force")) {
      for (const f of files) {
        const exists = await fs.stat(f.file).then(() => true, () => false);
        if (exists) throw new UsageError(`${f.file} already exists. Pass --force to overwrite it, or --out another folder.`, "policy-template");
      }
    }
    for (const f of files) {
      await fs.mkdir(path.dirname(f.file), { recursive: true });
      await fs.writeFile(f.file, f.content, { mode: 0o644 });
    }
    const placeholders = (["url", "serial", "productKey"] as const).filter((k) => !values[k]);
    const lines = [
      `Wrote the Seatkeeper policy to ${dir}:`,
      ...files.map((f) => `  ${path.relative(dir, f.file).padEnd(22)} ${f.what}`),
    ];
    if (placeholders.length > 0) {
      lines.push(
        "",
        `Placeholders stand for ${placeholders.map((k) => `the ${k === "url" ? "service address" : k === "serial" ? "serial number" : "product key"} (${PLACEHOLDERS[k]})`).join(", ")}:`,
        "fill them in, or run again with --url, --serial and --product-key.",
      );
    }
    ctx.out.result(lines, { dir, files: files.map((f) => f.file), placeholders });
    return EXIT.ok;
  },
};
