/**
 * Every failure as people read it: what went wrong, then what to do about it. Never a
 * stack trace (SEATKEEPER_DEBUG=1 adds one for developers). Each kind has its exit code.
 */
import {
  ClientVersionError, ConfigurationError, CredentialsRevokedError, ForbiddenError, InvalidCredentialsError, InvalidRequestError,
  InvalidTokenError, LeaseRefusedError, MethodNotAllowedError, NotFoundError, OfflineError, PayloadTooLargeError, PoolFullError, RateLimitedError,
  SeatkeeperError, SessionEndedError, TooManySessionsError, UnauthorizedError, UnexpectedResponseError, UnsupportedMediaTypeError,
  BlockedError, GroupFullError, PoolInactiveError, type CheckoutResponse,
  ownSeatsOf, SeatActiveError, TicketEndedError, type OwnSeat,
} from "../client/index.js";
import { longDate } from "../contract/messages.js";
import { UsageError } from "./args.js";

export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  poolFull: 3,
  offline: 4,
  notConfigured: 5,
  /** The command given to `run` could not be started. */
  cannotRun: 127,
} as const;

export interface Described {
  message: string;
  /** Further lines under the message (each field a request got wrong). */
  detail?: string[];
  fix?: string;
  exitCode: number;
}

/** What a user at start-up is told when their seat refused one more session, by reason. */
function tooManySessions(err: TooManySessionsError, ask: string): Described {
  switch (err.reason) {
    case "machine_mismatch":
      return {
        message: "Your seat is in use on another computer that has the same user and computer name as this one.",
        fix: `Close the program on that computer, or ask ${ask} to free the seat. If it is this very computer, its machine id changed: ${ask} can free the seat.`,
        exitCode: EXIT.failed,
      };
    case "sessions":
      return {
        message: `The program already runs ${err.max === undefined ? "as many times as" : `${err.max} times on`} your seat, the most this licence allows.`,
        fix: "Close one of those windows (or a copy left running in the background) and start again.",
        exitCode: EXIT.failed,
      };
    case "addresses":
      return {
        message: `Your seat is already in use from ${err.max === undefined ? "too many" : err.max} different network addresses, the most this licence allows.`,
        fix: `Close the program on your other computers, or ask ${ask} for a seat of your own.`,
        exitCode: EXIT.failed,
      };
    default:
      return { message: err.message, fix: `Ask ${ask}.`, exitCode: EXIT.failed };
  }
}

export function describeError(err: unknown, contact?: string): Described {
  const ask = contact ? contact : "your IT department";
  if (err instanceof UsageError) {
    return { message: err.message, fix: `Run \`seatkeeper help${err.command ? ` ${err.command}` : ""}\` for how to call it.`, exitCode: EXIT.usage };
  }
  if (err instanceof PoolFullError) {
    const taken =
      err.seats === 0 ? "this pool has no seats" : err.seats === 1 ? "the pool's only seat is in use" : `all ${err.seats} seats of this pool are in use`;
    const over = err.inUse > err.seats ? ` (${err.inUse} in use since the pool was made smaller)` : "";
    const own = ownSeatsOf(err);
    return {
      message: `No seat is free: ${taken}${over}.`,
      ...(own.length > 0 ? { detail: own.map(ownSeatLine) } : {}),
      fix: `Ask ${ask} to free a seat or add seats, or try again when someone closes the program.`,
      exitCode: EXIT.poolFull,
    };
  }
  if (err instanceof TooManySessionsError) return tooManySessions(err, ask);
  // waiting for a seat (issue 11)
  if (err instanceof SeatActiveError) {
    return {
      message: "That seat is in use: the program holding it is open and in use right now.",
      fix: "Close the program on that computer, or try again once it has been left idle there.",
      exitCode: EXIT.failed,
    };
  }
  if (err instanceof TicketEndedError) return { message: err.message, exitCode: EXIT.poolFull };
  // pool policy (issue 12)
  if (err instanceof BlockedError) {
    return { message: "Your IT department has blocked this user or computer from using this program.", fix: `Ask ${ask} if you need it.`, exitCode: EXIT.failed };
  }
  if (err instanceof PoolInactiveError) {
    const ended = err.validUntil !== undefined && err.validUntil.getTime() <= Date.now();
    const message = ended
      ? `Your organisation's licence ended on ${longDate(err.validUntil!.toISOString())}.`
      : err.validFrom !== undefined
        ? `Your organisation's licence starts on ${longDate(err.validFrom.toISOString())}.`
        : err.message;
    return { message, fix: `Ask ${ask} about the licence's term.`, exitCode: EXIT.failed };
  }
  if (err instanceof GroupFullError) {
    const group = err.group === undefined ? "your group" : `the group "${err.group}"`;
    return {
      message: `No seat is free for ${group}: ${err.max === undefined ? "all its" : `all ${err.max} of its`} seats are in use.`,
      fix: `Try again when someone in ${group} closes the program, or ask ${ask} to raise the group's limit.`,
      exitCode: EXIT.poolFull,
    };
  }
  if (err instanceof PayloadTooLargeError || err instanceof UnsupportedMediaTypeError || err instanceof MethodNotAllowedError) {
    return { message: err.message, fix: "The service and this seatkeeper do not fit together; `seatkeeper --version` says which version this is.", exitCode: EXIT.failed };
  }
  if (err instanceof LeaseRefusedError) {
    return { message: `Cannot reach the Seatkeeper service, and the borrowed seat cannot stand in: ${err.message}`, exitCode: EXIT.offline };
  }
  if (err instanceof OfflineError) {
    return { message: err.message, fix: "`seatkeeper config` shows which address is used and where it comes from; --url or SEATKEEPER_URL sets another.", exitCode: EXIT.offline };
  }
  if (err instanceof ConfigurationError) return { message: err.message, exitCode: EXIT.notConfigured };
  if (err instanceof InvalidCredentialsError) {
    return {
      message: err.message,
      fix: `\`seatkeeper config\` shows where the serial number and product key come from. If they are right, ask ${ask}.`,
      exitCode: EXIT.failed,
    };
  }
  if (err instanceof CredentialsRevokedError) return { message: err.message, fix: `The new pair goes where the old one was (see \`seatkeeper config\`).`, exitCode: EXIT.failed };
  if (err instanceof ClientVersionError) {
    return { message: err.message, fix: err.minClientVersion ? `Install version ${err.minClientVersion} or later, or pass --client-version.` : undefined, exitCode: EXIT.failed };
  }
  if (err instanceof RateLimitedError) {
    return { message: err.message, fix: `Try again after ${err.retryAt.toISOString().slice(11, 19)} UTC (${err.retryAfterSeconds} s), with corrected credentials.`, exitCode: EXIT.failed };
  }
  if (err instanceof UnauthorizedError) {
    return { message: err.message, fix: "Pass the vendor token or the pool's admin key with --token or SEATKEEPER_ADMIN_TOKEN.", exitCode: EXIT.failed };
  }
  if (err instanceof ForbiddenError) {
    return { message: err.message, fix: "A pool admin key reaches its own pool only; creating pools, listing them and changing seats need the vendor token.", exitCode: EXIT.failed };
  }
  if (err instanceof NotFoundError) return { message: err.message, fix: "Check the pool or seat id (`seatkeeper pools list`, `seatkeeper seats list`).", exitCode: EXIT.failed };
  if (err instanceof SessionEndedError) return { message: `${err.message} (reason: ${err.reason})`, exitCode: EXIT.failed };
  if (err instanceof InvalidTokenError) return { message: err.message, fix: "Use the token printed by `seatkeeper checkout` for that session.", exitCode: EXIT.failed };
  if (err instanceof InvalidRequestError) {
    const issues = err.issues.map((i) => `  ${i.path || "body"}: ${i.message}`);
    return { message: err.message, detail: issues.slice(issues.length === 1 ? 1 : 0), exitCode: EXIT.usage };
  }
  if (err instanceof UnexpectedResponseError) return { message: err.message, fix: "`seatkeeper config` shows the address in use.", exitCode: EXIT.failed };
  if (err instanceof SeatkeeperError) return { message: err.message, exitCode: EXIT.failed };
  const e = err as NodeJS.ErrnoException;
  if (e?.code === "EACCES" || e?.code === "EPERM") return { message: `Permission denied: ${e.path ?? e.message}.`, fix: "Choose a folder you can write to.", exitCode: EXIT.failed };
  if (e?.code === "ENOSPC") return { message: "The disk is full.", exitCode: EXIT.failed };
  return {
    message: `Unexpected error: ${e?.message ?? String(err)}`,
    fix: "This is a fault in seatkeeper itself; run again with SEATKEEPER_DEBUG=1 and report what it prints.",
    exitCode: EXIT.failed,
  };
}

/** "today", "yesterday", a weekday within the last week, else the date: how people say when they left a program open. */
export function sinceDay(iso: string, now = new Date()): string {
  const then = new Date(iso);
  if (Number.isNaN(then.getTime())) return iso;
  const day = (d: Date) => Math.floor((d.getTime() - d.getTimezoneOffset() * 60_000) / 86_400_000);
  const ago = day(now) - day(then);
  if (ago <= 0) return `today at ${then.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" })}`;
  if (ago === 1) return "yesterday";
  if (ago < 7) return then.toLocaleDateString("en-GB", { weekday: "long" });
  return then.toLocaleDateString("en-GB", { day: "numeric", month: "long", year: "numeric" });
}

/** One seat of the user's held elsewhere, and how to free it. */
function ownSeatLine(s: OwnSeat): string {
  const where = `${s.machine}${s.terminalSession ? ` (${s.terminalSession})` : ""}`;
  return `You also hold a seat on ${where} since ${sinceDay(s.since)}. If you no longer use it there, free it with: seatkeeper release-own ${s.seatId}`;
}

/** The contract's error shape, for --json. */
export function errorJson(err: unknown, d: Described): unknown {
  const code = err instanceof SeatkeeperError ? err.code : err instanceof UsageError ? "usage" : "client_error";
  const details = err instanceof SeatkeeperError ? err.details : {};
  return { error: { code, message: [d.message, ...(d.detail ?? [])].join("\n"), ...(d.fix ? { fix: d.fix } : {}), details } };
}

/** What a granted checkout tells the user besides the seat: the pool's term ending soon. */
export function checkoutNotices(res: Pick<CheckoutResponse, "warnings">): string[] {
  return (res.warnings ?? []).flatMap((w) =>
    w.code === "pool_expiring" && w.validUntil ? [`Your organisation's licence ends on ${longDate(w.validUntil)}. Ask your IT department about renewing it.`] : [],
  );
}
