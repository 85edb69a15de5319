/**
 * Reads the settings from their sources on this machine, first match wins: explicit
 * options, environment variables, the machine-wide policy file, and on Windows the
 * Group Policy registry key (through `reg query`, so no native module is needed).
 */
import { execFile } from "node:child_process";
import { promises as fs } from "node:fs";
import {
  POLICY_REGISTRY_KEY, mergeSettings, parsePolicyFile, registryValueNames, settingNames, settingsFromEnv,
  type MergedSettings, type Settings, type SettingsLayer,
} from "../config.js";
import { ConfigurationError } from "../errors.js";
import { defaultPolicyFile, type Env } from "./paths.js";

export interface SettingsSources {
  /** Explicit values: they win over everything. */
  options?: Settings;
  env?: Env;
  platform?: NodeJS.Platform;
  /** The policy file to read; default per platform, or SEATKEEPER_POLICY_FILE. */
  policyFile?: string;
  /** Read the Group Policy registry key; default: on Windows only. */
  registry?: boolean;
  /** Runs `reg query` (a seam for tests on machines without Windows). */
  regQuery?: (key: string) => Promise<string | undefined>;
}

/**
 * The policy file's settings. A missing file is no problem; an unreadable or broken one
 * is returned as an error, raised only if a setting it might have held is then missing.
 */
export async function readPolicyFileLayer(file: string): Promise<{ layer: SettingsLayer; warnings: string[]; error?: ConfigurationError }> {
  const source = `policy file ${file}`;
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return { layer: { source, values: {} }, warnings: [] };
    const error = new ConfigurationError(
      `The Seatkeeper policy file ${file} cannot be read (${code ?? (err as Error).message}). Ask your IT department to make it readable by every user.`,
    );
    return { layer: { source, values: {} }, warnings: [error.message], error };
  }
  try {
    const { values, warnings } = parsePolicyFile(text, file);
    return { layer: { source, values }, warnings };
  } catch (err) {
    if (!(err instanceof ConfigurationError)) throw err;
    return { layer: { source, values: {} }, warnings: [err.message], error: err };
  }
}

/**
 * Parses the output of `reg query <key>`: one line per value, "    Name    REG_SZ    data".
 * REG_EXPAND_SZ values have their %VARIABLES% expanded from `env`.
 */
export function parseRegQueryOutput(output: string, env: Env = {}): Settings {
  const byName = regQueryValues(output, env);
  const values: Settings = {};
  for (const name of settingNames) {
    const v = byName.get(registryValueNames[name].toLowerCase());
    if (v) values[name] = v;
  }
  return values;
}

/** Every string value of `reg query` output, by lower-cased name. */
export function regQueryValues(output: string, env: Env = {}): Map<string, string> {
  const byName = new Map<string, string>();
  for (const line of output.split(/\r?\n/)) {
    const m = /^\s+(\S.*?)\s{2,}(REG_SZ|REG_EXPAND_SZ)(?:\s{2,}(.*))?$/.exec(line);
    if (!m) continue;
    let data = (m[3] ?? "").trim();
    if (m[2] === "REG_EXPAND_SZ") {
      data = data.replace(/%([^%]+)%/g, (whole, name: string) => {
        const hit = Object.keys(env).find((k) => k.toLowerCase() === name.toLowerCase());
        return hit !== undefined ? (env[hit] ?? whole) : whole;
      });
    }
    byName.set(m[1]!.toLowerCase(), data);
  }
  return byName;
}

/** `reg query` output for the key, or undefined when the key does not exist. */
export function runRegQuery(key: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile("reg", ["query", key], { windowsHide: true, timeout: 5_000 }, (err, stdout) => {
      resolve(err ? undefined : stdout);
    });
  });
}

export async function loadSettings(sources: SettingsSources = {}): Promise<MergedSettings> {
  const env = sources.env ?? process.env;
  const platform = sources.platform ?? process.platform;
  const policyFile = sources.policyFile ?? defaultPolicyFile(env, platform);
  const layers: SettingsLayer[] = [{ source: "options", values: sources.options ?? {} }, settingsFromEnv(env)];
  const warnings: string[] = [];
  const errors: ConfigurationError[] = [];
  const complete = () => {
    const { values } = mergeSettings(layers);
    return settingNames.every((name) => Boolean(values[name]));
  };

  const policy = await readPolicyFileLayer(policyFile);
  layers.push(policy.layer);
  warnings.push(...policy.warnings);
  if (policy.error) errors.push(policy.error);

  // Spawning reg.exe costs a few tens of milliseconds at every start: skip it when nothing is left to find.
  if ((sources.registry ?? platform === "win32") && !complete()) {
    const output = await (sources.regQuery ?? runRegQuery)(POLICY_REGISTRY_KEY);
    if (output !== undefined) layers.push({ source: `Group Policy (${POLICY_REGISTRY_KEY})`, values: parseRegQueryOutput(output, env) });
  }
  return mergeSettings(layers, warnings, errors);
}
