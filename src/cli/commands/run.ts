/**
 * `seatkeeper run -- <command…>`: puts any program behind a seat pool. Takes a seat,
 * runs the command, gives the seat back when it exits (also on Ctrl-C and SIGTERM),
 * and exits with the command's own code. With no seat free, the command is not started.
 */
import { spawn } from "node:child_process";
import os from "node:os";
import { leaseDate, QueueAbortedError, SeatkeeperClient, type SessionEndedError } from "../../client/index.js";
import { flag, identityOptions, intOption, parse, splitRunArgs, UsageError } from "../args.js";
import { clientOptions, type Command } from "../context.js";
import { EXIT, checkoutNotices } from "../describe-error.js";
import { plural, printable } from "../output.js";
import { ordinal } from "../../contract/messages.js";

export const runOptions = { ...identityOptions, "heartbeat-minutes": { type: "string" }, "no-live": { type: "boolean" }, wait: { type: "boolean" } } as const;

/** The seat could not be taken, so the command was not started. */
export class CommandNotStartedError extends Error {
  override name = "CommandNotStartedError";
  constructor(readonly reason: unknown, readonly program: string) {
    super(`The command ${program} was not started.`);
  }
}

const endedBecause: Record<SessionEndedError["reason"], string> = {
  freed: "an administrator freed this seat",
  revoked: "the pool's serial number and product key were revoked",
  expired: "the seat expired",
  released: "the seat was released elsewhere",
  reclaimed: "the seat was idle and went to someone waiting",
  lapsed: "the seat granted from the queue was not picked up in time",
};

export const runCommand: Command = {
  name: "run",
  summary: "take a seat, run a command, give the seat back when it exits",
  usage: "seatkeeper run [--wait] [--client-version V] [--heartbeat-minutes N] [--no-live] [--user U] [--machine M] [--machine-id ID|none] [--url URL] -- COMMAND [ARGS…]",
  async run(args, ctx) {
    const { own, command } = splitRunArgs(args, runOptions);
    const p = parse("run", own, runOptions);
    if (p.positionals.length > 0) throw new UsageError(`Unexpected argument "${p.positionals[0]}".`, "run");
    if (command.length === 0) throw new UsageError("Name the command to run after --, as in: seatkeeper run -- mytool --its-flag", "run");
    const program = command[0]!;
    const minutes = intOption(p, "heartbeat-minutes", "run", { min: 0, max: 24 * 60 }) ?? 5;

    // The live channel tells of a free at once; the heartbeat (every N minutes) stands in while it cannot open.
    const client = new SeatkeeperClient({
      ...clientOptions(p, ctx, "run"),
      onEnded: (e: SessionEndedError) => ctx.out.warn(`${endedBecause[e.reason]}; ${program} carries on, but no longer holds a seat.`),
      ...(minutes > 0 ? { heartbeat: { intervalMs: minutes * 60_000 } } : {}),
      live: flag(p, "no-live") ? false : { heartbeatFallback: minutes > 0 },
    });
    // --wait: in line until a seat is given; Ctrl-C (or SIGTERM) leaves the queue and starts nothing
    const wait = flag(p, "wait");
    const abort = new AbortController();
    let leftOn: NodeJS.Signals | undefined;
    const leaveOn = (signal: NodeJS.Signals) => () => {
      leftOn ??= signal;
      abort.abort();
    };
    const waitHandlers = wait ? (["SIGINT", "SIGTERM", "SIGHUP"] as NodeJS.Signals[]).map((s) => [s, leaveOn(s)] as const) : [];
    for (const [s, h] of waitHandlers) process.on(s, h);
    let heard = false;
    let seat;
    try {
      seat = await client.checkout(
        wait
          ? {
              wait: true,
              signal: abort.signal,
              onQueued: (position, waiting) => {
                ctx.out.note(`seatkeeper: waiting for a seat: ${ordinal(position)} of ${waiting}${heard ? "" : " (Ctrl-C leaves the queue)"}`);
                heard = true;
              },
            }
          : {},
      );
    } catch (err) {
      if (err instanceof QueueAbortedError && leftOn) {
        ctx.out.note(`seatkeeper: left the queue; ${program} was not started.`);
        return 128 + (os.constants.signals[leftOn] ?? 2);
      }
      throw new CommandNotStartedError(err, program);
    } finally {
      for (const [s, h] of waitHandlers) process.off(s, h);
    }
    if (leftOn) {
      // the seat came just as the user gave up: give it straight back
      await client.release().catch(() => undefined);
      ctx.out.note(`seatkeeper: stopped; ${program} was not started.`);
      return 128 + (os.constants.signals[leftOn] ?? 2);
    }
    if (seat.offline) {
      ctx.out.note(`seatkeeper: working offline on a borrowed seat until ${leaseDate(seat.borrowedUntil!)}; running ${program}`);
    } else {
      const taken = seat.seatShared ? "joined the seat this identity already holds" : "seat taken";
      ctx.out.note(`seatkeeper: ${taken} (${seat.pool.inUse} of ${plural(seat.pool.seats, "seat")} in use); running ${program}`);
    }
    for (const notice of checkoutNotices(seat)) ctx.out.note(`seatkeeper: ${notice}`);

    const child = spawn(program, command.slice(1), {
      stdio: "inherit",
      // The service address too, wherever it was configured: the program verifies its token with the service's keys.
      env: { ...ctx.env, SEATKEEPER_URL: (await client.config()).values.url, SEATKEEPER_SESSION_ID: seat.sessionId, SEATKEEPER_SESSION_TOKEN: seat.token } as NodeJS.ProcessEnv,
    });

    // Ctrl-C in a terminal reaches the whole foreground process group, the command included:
    // forwarding it too would be a second Ctrl-C. A SIGINT sent to this process alone is forwarded.
    const forward = (signal: NodeJS.Signals) => () => {
      if (signal === "SIGINT" && process.stdin.isTTY) return;
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    };
    const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP", ...(process.platform === "win32" ? (["SIGBREAK"] as NodeJS.Signals[]) : [])];
    const handlers = signals.map((s) => [s, forward(s)] as const);
    for (const [s, h] of handlers) process.on(s, h);

    const outcome = await new Promise<{ code: number; startError?: NodeJS.ErrnoException }>((resolve) => {
      child.once("error", (err: NodeJS.ErrnoException) => {
        resolve({ code: err.code === "EACCES" ? 126 : EXIT.cannotRun, startError: err });
      });
      child.once("exit", (code, signal) => {
        resolve({ code: code ?? 128 + (signal ? (os.constants.signals[signal] ?? 0) : 0) });
      });
    });

    const released = await client.release().catch((err: unknown) => {
      ctx.out.warn(`the seat could not be given back: ${(err as Error).message}`);
      return undefined;
    });
    for (const [s, h] of handlers) process.off(s, h);

    if (outcome.startError) {
      const why = outcome.startError.code === "ENOENT" ? "command not found" : outcome.startError.code === "EACCES" ? "permission denied" : outcome.startError.message;
      ctx.streams.stderr.write(`${printable(`seatkeeper: cannot start ${program}: ${why}.`)}\n`);
    }
    if (released?.borrowedUntil) ctx.out.note(`seatkeeper: the seat stays borrowed until ${leaseDate(released.borrowedUntil)}.`);
    else if (released?.journaled) ctx.out.note("seatkeeper: the service cannot be reached; the seat is given back at the next start.");
    else if (released?.pool) {
      const what = released.seatFreed ? "seat given back" : "session ended, the seat stays with this identity's other sessions";
      ctx.out.note(`seatkeeper: ${what} (${released.pool.inUse} of ${plural(released.pool.seats, "seat")} in use)`);
    }
    return outcome.code;
  },
};
