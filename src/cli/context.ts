/** What every command gets: the environment, the output, and ways to reach the service. */
import { ConfigurationError, fetchFor, loadSettings, transportFromSettings, requireSettings, SeatkeeperAdmin, type NodeClientOptions } from "../client/index.js";
import { intOption, stringOption, UsageError, type Parsed } from "./args.js";
import type { Output, Streams } from "./output.js";

export type Env = Record<string, string | undefined>;

export interface CliContext {
  env: Env;
  streams: Streams;
  out: Output;
  cwd: string;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(args: string[], ctx: CliContext): Promise<number>;
}

function timeoutMs(p: Parsed, command: string): number | undefined {
  const seconds = intOption(p, "timeout", command, { min: 1, max: 600 });
  return seconds === undefined ? undefined : seconds * 1000;
}

/** SDK options from the command line; unset ones fall back to environment and policy. */
export function clientOptions(p: Parsed, ctx: CliContext, command: string): NodeClientOptions {
  const opts: NodeClientOptions = { env: ctx.env };
  const url = stringOption(p, "url");
  if (url !== undefined) opts.url = url;
  const user = stringOption(p, "user");
  if (user !== undefined) opts.user = user;
  const machine = stringOption(p, "machine");
  if (machine !== undefined) opts.machine = machine;
  const tsn = stringOption(p, "terminal-session");
  if (tsn !== undefined) opts.terminalSession = tsn.trim().toLowerCase() === "none" ? null : tsn;
  const machineId = stringOption(p, "machine-id");
  if (machineId !== undefined) opts.machineId = machineId.trim().toLowerCase() === "none" ? null : machineId;
  const version = stringOption(p, "client-version");
  if (version !== undefined) opts.clientVersion = version;
  const t = timeoutMs(p, command);
  if (t !== undefined) opts.timeoutMs = t;
  return opts;
}

/** The service address for the admin API: --url, SEATKEEPER_URL, then the policy, like the client. */
export async function serviceUrl(p: Parsed, ctx: CliContext): Promise<string> {
  const url = stringOption(p, "url");
  const merged = await loadSettings({ options: url ? { url } : {}, env: ctx.env });
  return requireSettings(merged, ["url"], "or pass --url").url;
}

export async function adminClient(p: Parsed, ctx: CliContext, command: string): Promise<{ admin: SeatkeeperAdmin; token: string }> {
  const token = stringOption(p, "token") ?? ctx.env.SEATKEEPER_ADMIN_TOKEN;
  if (!token?.trim()) {
    throw new ConfigurationError(
      "No admin credential given. Pass the vendor token or the pool's admin key with --token, or set SEATKEEPER_ADMIN_TOKEN.",
      ["token"],
    );
  }
  const url = await serviceUrl(p, ctx);
  const t = timeoutMs(p, command);
  const fetchImpl = fetchFor(transportFromSettings(undefined, ctx.env));
  return { admin: new SeatkeeperAdmin({ url, token: token.trim(), ...(t ? { timeoutMs: t } : {}), ...(fetchImpl ? { fetch: fetchImpl } : {}) }), token: token.trim() };
}

/**
 * The pool id carried by a pool admin key (AK + pool id + secret, any case, dashes
 * optional), so IT departments need not type their pool id.
 */
export function poolIdFromAdminKey(token: string): string | undefined {
  const n = token.toUpperCase().replace(/[\s-]/g, "").replace(/O/g, "0").replace(/[IL]/g, "1");
  const m = /^AK([GE][0-9A-HJKMNP-TV-Z]{15})[0-9A-HJKMNP-TV-Z]{25}$/.exec(n);
  return m?.[1];
}

/** The pool to act on: the given one, else the one the admin key belongs to. */
export function poolId(p: Parsed, token: string, command: string, positional?: string): string {
  const id = positional ?? stringOption(p, "pool") ?? poolIdFromAdminKey(token);
  if (!id) throw new UsageError("Name the pool with --pool <pool id> (`seatkeeper pools list` shows them).", command);
  return id;
}
