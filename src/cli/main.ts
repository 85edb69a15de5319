/**
 * The `seatkeeper` command: the client for scripts and trials, `run` to put any program
 * behind a seat pool, operator commands over the admin API, and the policy templates.
 */
import { readFileSync } from "node:fs";
import { InvalidCredentialsError, loadSettings, PoolFullError, TooManySessionsError } from "../client/index.js";
import { splitRunArgs, UsageError } from "./args.js";
import type { CliContext, Command, Env } from "./context.js";
import { borrowCommand, returnCommand } from "./commands/borrow.js";
import { configCommand } from "./commands/config.js";
import { adminKeysCommand, credentialsCommand } from "./commands/credentials.js";
import { eventsCommand } from "./commands/events.js";
import { policyTemplateCommand } from "./commands/policy-template.js";
import { poolsCommand } from "./commands/pools.js";
import { CommandNotStartedError, runCommand, runOptions } from "./commands/run.js";
import { seatsCommand } from "./commands/seats.js";
import { checkoutCommand, releaseCommand, statusCommand } from "./commands/session.js";
import { usageCommand } from "./commands/usage.js";
import { adminsCommand, staffCommand } from "./commands/people.js";
import { adviceCommand } from "./commands/advice.js";
import { webhooksCommand } from "./commands/webhooks.js";
import { queueCommand, releaseOwnCommand } from "./commands/queue.js";
import { verifyTokenCommand } from "./commands/verify-token.js";
import { describeError, errorJson, EXIT } from "./describe-error.js";
import { Output, type Streams } from "./output.js";

const commands: Command[] = [
  runCommand,
  checkoutCommand,
  releaseCommand,
  statusCommand,
  borrowCommand,
  returnCommand,
  verifyTokenCommand,
  configCommand,
  poolsCommand,
  seatsCommand,
  credentialsCommand,
  adminKeysCommand,
  eventsCommand,
  usageCommand,
  staffCommand,
  adminsCommand,
  adviceCommand,
  webhooksCommand,
  policyTemplateCommand,
  queueCommand,
  releaseOwnCommand,
];

/** The version, set by the executables' bundler (scripts/build-exe.ts): no package.json sits beside them. */
declare const __SEATKEEPER_VERSION__: string | undefined;

function version(): string {
  if (typeof __SEATKEEPER_VERSION__ === "string") return __SEATKEEPER_VERSION__;
  try {
    return (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

function overview(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    "seatkeeper: take and give back seats of a Seatkeeper licence pool, and run the service's admin API.",
    "",
    "Usage: seatkeeper <command> [options]",
    "",
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    `  ${"help".padEnd(width)}  how to call a command: seatkeeper help <command>`,
    "",
    "Every command takes --url URL (or SEATKEEPER_URL) and --json for output to parse.",
    "Client commands read SEATKEEPER_SERIAL and SEATKEEPER_PRODUCT_KEY, then the policy file and Group Policy;",
    "admin commands take --token (or SEATKEEPER_ADMIN_TOKEN): the vendor token or a pool's admin key.",
    "",
    "Exit codes: 0 done, 1 refused or failed, 2 wrong usage, 3 no seat free, 4 service unreachable,",
    "5 not configured; `run` exits with the command's own code once it started it.",
  ].join("\n");
}

function wantsHelp(command: Command | undefined, args: string[]): boolean {
  const own = command === runCommand ? splitRunArgs(args, runOptions).own : args.slice(0, args.includes("--") ? args.indexOf("--") : undefined);
  return own.includes("--help") || own.includes("-h");
}

/** Runs one invocation and returns the exit code; never throws. */
export async function main(argv: string[], streams: Streams = process, env: Env = process.env, cwd = process.cwd()): Promise<number> {
  const [name, ...args] = argv;
  const jsonWanted = (name === "run" ? splitRunArgs(args, runOptions).own : args).includes("--json");
  const ctx: CliContext = { env, streams, out: new Output(streams, jsonWanted), cwd };

  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    const topic = name === "help" ? commands.find((c) => c.name === args[0]) : undefined;
    streams.stdout.write((topic ? `${topic.summary}\n\n${topic.usage}` : overview()) + "\n");
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === "--version" || name === "-v" || name === "version") {
    streams.stdout.write(`seatkeeper ${version()}\n`);
    return EXIT.ok;
  }
  const command = commands.find((c) => c.name === name);
  try {
    if (!command) throw new UsageError(`There is no command "${name}". Commands: ${commands.map((c) => c.name).join(", ")}.`);
    if (wantsHelp(command, args)) {
      streams.stdout.write(`${command.summary}\n\n${command.usage}\n`);
      return EXIT.ok;
    }
    return await command.run(args, ctx);
  } catch (thrown) {
    const notStarted = thrown instanceof CommandNotStartedError ? thrown : undefined;
    const err = notStarted ? notStarted.reason : thrown;
    let contact: string | undefined;
    if (err instanceof PoolFullError || err instanceof InvalidCredentialsError || err instanceof TooManySessionsError) {
      contact = (await loadSettings({ env }).catch(() => undefined))?.values.contact;
    }
    const d = describeError(err, contact);
    const lines = [`seatkeeper: ${d.message}`, ...(d.detail ?? [])];
    if (d.fix) lines.push(d.fix);
    if (notStarted) lines.push(notStarted.message);
    ctx.out.error(lines, errorJson(err, d));
    if (env.SEATKEEPER_DEBUG && err instanceof Error && err.stack) streams.stderr.write(err.stack + "\n");
    return d.exitCode;
  }
}
