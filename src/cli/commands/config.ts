/** `seatkeeper config`: the settings in force on this machine and where each one comes from. */
import { defaultConfigDir, defaultPolicyFile, envNames, resolveNodeConfig, settingLabels, settingNames } from "../../client/index.js";
import { identityOptions, noMorePositionals, parse } from "../args.js";
import { clientOptions, type Command } from "../context.js";
import { EXIT } from "../describe-error.js";
import { table } from "../output.js";

/** Enough of a product key to recognise it, not enough to use it. */
function masked(key: string): string {
  return key.length <= 5 ? "*****" : `${key.slice(0, 5)}…(hidden)`;
}

export const configCommand: Command = {
  name: "config",
  summary: "show the settings in force and where each comes from",
  usage: "seatkeeper config [--url URL] [--json]",
  async run(args, ctx) {
    const p = parse("config", args, identityOptions);
    noMorePositionals(p, "config", 0);
    const cfg = await resolveNodeConfig(clientOptions(p, ctx, "config"));
    const rows = settingNames.map((name) => {
      const v = cfg.values[name];
      const shown = v === undefined ? "(not set)" : name === "productKey" ? masked(v) : v;
      return [settingLabels[name], shown, cfg.sources[name] ?? `set with ${envNames[name]} or the policy`];
    });
    const identity = [
      ["user", cfg.user],
      ["machine", cfg.machine],
      ["terminal session", cfg.terminalSession ?? "(none: console or not Windows)"],
      ["machine id sent", cfg.machineId ? `${cfg.machineId.slice(0, 16)}… (SHA-256 of ${cfg.machineIdSource})` : `(none: ${cfg.machineIdSource})`],
    ];
    const configDir = defaultConfigDir(ctx.env);
    const policyFile = defaultPolicyFile(ctx.env);
    const lines = [
      ...table(["SETTING", "VALUE", "FROM"], rows),
      "",
      ...table(["IDENTITY", "VALUE"], identity),
      "",
      `policy file:       ${policyFile}`,
      `per-user folder:   ${configDir}`,
      ...cfg.warnings.map((w) => `warning: ${w}`),
    ];
    const values = { ...cfg.values, ...(cfg.values.productKey ? { productKey: masked(cfg.values.productKey) } : {}) };
    ctx.out.result(lines, {
      settings: values,
      sources: cfg.sources,
      identity: { user: cfg.user, machine: cfg.machine, terminalSession: cfg.terminalSession ?? null, machineId: cfg.machineId ?? null, machineIdSource: cfg.machineIdSource },
      policyFile,
      configDir,
      warnings: cfg.warnings,
    });
    return EXIT.ok;
  },
};
