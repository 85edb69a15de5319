/**
 * Where the client's settings come from, first match wins for each setting:
 * explicit options, then environment variables, then the machine-wide policy file,
 * then (on Windows) the Group Policy registry key. This module is the platform-neutral
 * half: the names, the policy file's shape and the merge. Reading files, the
 * environment and the registry is Node's job (node/settings.ts).
 */
import { z } from "zod";
import { ConfigurationError } from "./errors.js";
import { MACHINE_ID_OFF } from "./machine-id.js";

/** The settings an IT department deploys centrally. */
export const settingNames = ["url", "serial", "productKey", "contact", "machineId", "group"] as const;
export type SettingName = (typeof settingNames)[number];
export type Settings = Partial<Record<SettingName, string>>;

/** Environment variable for each setting. */
export const envNames: Record<SettingName, string> = {
  url: "SEATKEEPER_URL",
  serial: "SEATKEEPER_SERIAL",
  productKey: "SEATKEEPER_PRODUCT_KEY",
  contact: "SEATKEEPER_CONTACT",
  machineId: "SEATKEEPER_MACHINE_ID",
  group: "SEATKEEPER_GROUP",
};

/** Registry value (REG_SZ) under the policy key for each setting. */
export const registryValueNames: Record<SettingName, string> = {
  url: "Url",
  serial: "Serial",
  productKey: "ProductKey",
  contact: "Contact",
  machineId: "MachineId",
  group: "Group",
};

export const POLICY_REGISTRY_KEY = "HKLM\\SOFTWARE\\Policies\\Seatkeeper";

/** What people read for each setting, in messages. */
export const settingLabels: Record<SettingName, string> = {
  url: "service address",
  serial: "serial number",
  productKey: "product key",
  contact: "contact for licence questions",
  machineId: "machine id (or none)",
  group: "group (department)",
};

/**
 * The machine-wide policy file. Unknown keys are tolerated (a newer policy read by an
 * older client) but reported as warnings, so a typo such as `serialNumber` is visible.
 */
export const PolicyFile = z.object({
  url: z.string().min(1).optional(),
  serial: z.string().min(1).optional(),
  productKey: z.string().min(1).optional(),
  contact: z.string().min(1).optional(),
  machineId: z.string().min(1).optional(),
  /** The pool group (department) checkouts name, for its reserved and capped seats. */
  group: z.string().min(1).optional(),
});
export type PolicyFile = z.infer<typeof PolicyFile>;

/** One place settings came from, with the values it holds. */
export interface SettingsLayer {
  /** e.g. "options", "environment (SEATKEEPER_URL)", "policy file /etc/seatkeeper/policy.json". */
  source: string;
  values: Settings;
  /** Per-setting source names, when a layer names each value's origin (environment variables). */
  sourceOf?: Partial<Record<SettingName, string>>;
}

export interface MergedSettings {
  values: Settings;
  /** Where each value came from. */
  sources: Partial<Record<SettingName, string>>;
  /** Problems worth showing an administrator (unknown keys, unreadable files). */
  warnings: string[];
  /** A source that could not be read; it is the error given when a setting is then missing. */
  errors: ConfigurationError[];
}

/** First layer that has a (non-blank) value wins, setting by setting. */
export function mergeSettings(layers: SettingsLayer[], warnings: string[] = [], errors: ConfigurationError[] = []): MergedSettings {
  const values: Settings = {};
  const sources: Partial<Record<SettingName, string>> = {};
  for (const name of settingNames) {
    for (const layer of layers) {
      const v = layer.values[name]?.trim();
      if (v) {
        values[name] = v;
        sources[name] = layer.sourceOf?.[name] ?? layer.source;
        break;
      }
    }
  }
  return { values, sources, warnings, errors };
}

/** The settings given as options; a `machineId` of null (send none) is the setting's "none". */
export function explicitSettings(options: Partial<Record<SettingName, string | null>>): Settings {
  const explicit: Settings = {};
  for (const name of settingNames) {
    const v = options[name];
    if (v === null && name === "machineId") explicit[name] = MACHINE_ID_OFF;
    else if (typeof v === "string") explicit[name] = v;
  }
  return explicit;
}

/** Reads the settings that environment variables give. */
export function settingsFromEnv(env: Record<string, string | undefined>): SettingsLayer {
  const values: Settings = {};
  const sourceOf: Partial<Record<SettingName, string>> = {};
  for (const name of settingNames) {
    const v = env[envNames[name]];
    if (v !== undefined && v.trim() !== "") {
      values[name] = v;
      sourceOf[name] = `environment (${envNames[name]})`;
    }
  }
  return { source: "environment", values, sourceOf };
}

/** Parses the policy file's text; throws a ConfigurationError that names the file and the fix. */
export function parsePolicyFile(text: string, file: string): { values: Settings; warnings: string[] } {
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (err) {
    throw new ConfigurationError(
      `The Seatkeeper policy file ${file} is not valid JSON (${(err as Error).message}). Ask your IT department to fix it; \`seatkeeper policy-template\` writes a correct one.`,
    );
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new ConfigurationError(`The Seatkeeper policy file ${file} must hold one JSON object such as {"url": "…", "serial": "…", "productKey": "…"}.`);
  }
  const parsed = PolicyFile.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigurationError(`The Seatkeeper policy file ${file} has a bad "${issue.path.join(".")}": ${issue.message}. Each setting is a non-empty string.`);
  }
  const unknown = Object.keys(json).filter((k) => !(settingNames as readonly string[]).includes(k));
  const warnings = unknown.map((k) => `The policy file ${file} has an unknown setting "${k}"; known settings are ${settingNames.join(", ")}.`);
  return { values: parsed.data, warnings };
}

/** Throws a ConfigurationError naming every missing setting and how to provide it. */
export function requireSettings<K extends SettingName>(merged: MergedSettings, needed: readonly K[], policyHint: string): Record<K, string> {
  const missing = needed.filter((k) => !merged.values[k]);
  if (missing.length > 0) {
    if (merged.errors[0]) throw merged.errors[0];
    const labels = missing.map((k) => settingLabels[k]);
    const what = labels.length === 1 ? labels[0] : `${labels.slice(0, -1).join(", ")} or ${labels.at(-1)}`;
    const vars = missing.map((k) => envNames[k]).join(", ");
    throw new ConfigurationError(
      `No ${what} is configured for Seatkeeper. Set ${vars}, or ask your IT department to deploy the Seatkeeper policy (${policyHint}).`,
      missing,
    );
  }
  return merged.values as Record<K, string>;
}
