/** Command-line parsing on node:util's parseArgs, with messages that say how to fix the call. */
import { parseArgs, type ParseArgsConfig } from "node:util";

/** A mistake in how the command was called: exit code 2, with the command's usage. */
export class UsageError extends Error {
  override name = "UsageError";
  constructor(message: string, readonly command?: string) {
    super(message);
  }
}

export type OptionSpec = NonNullable<ParseArgsConfig["options"]>;

/** Options every command understands. */
export const globalOptions = {
  url: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  timeout: { type: "string" },
} satisfies OptionSpec;

export const adminOptions = {
  token: { type: "string" },
  pool: { type: "string" },
} satisfies OptionSpec;

export const identityOptions = {
  user: { type: "string" },
  machine: { type: "string" },
  "terminal-session": { type: "string" },
  "machine-id": { type: "string" },
  "client-version": { type: "string" },
} satisfies OptionSpec;

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export function parse(command: string, args: string[], options: OptionSpec): Parsed {
  try {
    const { values, positionals } = parseArgs({ args, options: { ...globalOptions, ...options }, allowPositionals: true, strict: true });
    return { values: values as Parsed["values"], positionals };
  } catch (err) {
    const message = (err as Error).message;
    const unknown = /Unknown option '([^']+)'/.exec(message);
    if (unknown) throw new UsageError(`${command} has no option ${unknown[1]}.`, command);
    const missing = /Option '([^']+)' argument missing/.exec(message);
    if (missing) throw new UsageError(`${missing[1]!.replace(/^-\w, /, "")} needs a value.`, command);
    throw new UsageError(message.split(". ")[0]! + ".", command);
  }
}

export function stringOption(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  return typeof v === "string" ? v : undefined;
}

export function flag(p: Parsed, name: string): boolean {
  return p.values[name] === true;
}

export function intOption(p: Parsed, name: string, command: string, range: { min: number; max: number }): number | undefined {
  const raw = stringOption(p, name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < range.min || n > range.max) {
    throw new UsageError(`--${name} must be a whole number from ${range.min} to ${range.max}; "${raw}" is not.`, command);
  }
  return n;
}

/** A value or `none` (to clear it); undefined when the option is absent. */
export function nullableOption(p: Parsed, name: string): string | null | undefined {
  const raw = stringOption(p, name);
  if (raw === undefined) return undefined;
  return raw.trim().toLowerCase() === "none" ? null : raw;
}

export function noMorePositionals(p: Parsed, command: string, max: number): void {
  if (p.positionals.length > max) throw new UsageError(`Unexpected argument "${p.positionals[max]}".`, command);
}

/**
 * Splits `run`'s arguments into its own options and the command to run. The command
 * starts after `--`, or at the first word that is not an option of `run`.
 */
export function splitRunArgs(args: string[], options: OptionSpec): { own: string[]; command: string[] } {
  const all = { ...globalOptions, ...options };
  const own: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") return { own, command: args.slice(i + 1) };
    if (!a.startsWith("-") || a === "-") return { own, command: args.slice(i) };
    own.push(a);
    const name = a.replace(/^-+/, "").split("=")[0]!;
    const spec = Object.entries(all).find(([long, s]) => long === name || ("short" in s && s.short === name))?.[1];
    if (spec?.type === "string" && !a.includes("=") && i + 1 < args.length) own.push(args[++i]!);
  }
  return { own, command: [] };
}
