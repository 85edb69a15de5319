/**
 * `seatkeeper checkout`, `release` and `status`: a seat held across commands, for scripts
 * and trials. `checkout` keeps the session's token in the user's config directory
 * (cli-sessions/, mode 0600) so a later `release` can give it back.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import {
  defaultConfigDir, FileJournal, InvalidTokenError, readTokenClaims, SeatkeeperClient, SessionEndedError, type SessionStatus,
} from "../../client/index.js";
import { readIfExists, removeIfExists, writePrivateFileAtomic } from "../../client/node/atomic-file.js";
import { identityOptions, noMorePositionals, parse, stringOption, UsageError } from "../args.js";
import { clientOptions, type CliContext, type Command } from "../context.js";
import { EXIT, checkoutNotices } from "../describe-error.js";
import { plural, shortTime, table, who } from "../output.js";

interface CliSession {
  url: string;
  sessionId: string;
  token: string;
  seatId: string;
  poolId: string;
  user: string;
  machine: string;
  terminalSession?: string;
  startedAt: string;
}

function sessionsDir(ctx: CliContext): string {
  return path.join(defaultConfigDir(ctx.env), "cli-sessions");
}

async function heldByCli(ctx: CliContext): Promise<CliSession[]> {
  const dir = sessionsDir(ctx);
  let names: string[] = [];
  try {
    names = (await fs.readdir(dir)).filter((n) => n.endsWith(".json"));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const out: CliSession[] = [];
  for (const name of names) {
    const text = await readIfExists(path.join(dir, name));
    if (text === undefined) continue;
    try {
      out.push(JSON.parse(text) as CliSession);
    } catch {
      // a damaged record: nothing to act on
    }
  }
  return out.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
}

const recordFile = (ctx: CliContext, sessionId: string) => path.join(sessionsDir(ctx), `${sessionId.replace(/[^A-Za-z0-9_-]/g, "_")}.json`);

export const checkoutCommand: Command = {
  name: "checkout",
  summary: "take a seat and keep it until `seatkeeper release`",
  usage: "seatkeeper checkout [--client-version V] [--user U] [--machine M] [--terminal-session T|none] [--machine-id ID|none] [--url URL] [--json]",
  async run(args, ctx) {
    const p = parse("checkout", args, identityOptions);
    noMorePositionals(p, "checkout", 0);
    const client = new SeatkeeperClient({ ...clientOptions(p, ctx, "checkout"), recoverAfterCrash: false });
    const res = await client.checkout();
    const cfg = await client.config();
    const record: CliSession = {
      url: cfg.values.url!,
      sessionId: res.sessionId,
      token: res.token,
      seatId: res.seatId,
      poolId: res.pool.poolId,
      user: cfg.user,
      machine: cfg.machine,
      ...(cfg.terminalSession ? { terminalSession: cfg.terminalSession } : {}),
      startedAt: new Date().toISOString(),
    };
    await writePrivateFileAtomic(recordFile(ctx, res.sessionId), JSON.stringify(record, null, 2) + "\n");
    ctx.out.result(
      [
        `Seat taken for ${who(cfg.user, cfg.machine, cfg.terminalSession)}${res.seatShared ? " (joined the seat this identity already holds)" : ""}.`,
        `  session  ${res.sessionId}`,
        `  seat     ${res.seatId}`,
        `  pool     ${res.pool.poolId}: ${res.pool.inUse} of ${plural(res.pool.seats, "seat")} in use`,
        `Give it back with: seatkeeper release ${res.sessionId}`,
        ...checkoutNotices(res),
      ],
      { ...res, url: record.url, user: cfg.user, machine: cfg.machine, terminalSession: cfg.terminalSession ?? null },
    );
    return EXIT.ok;
  },
};

/** The sessions a release or status call is about: a token, an id, or all held by `checkout`. */
async function targets(ctx: CliContext, command: string, sessionToken: string | undefined, id: string | undefined, url: string | undefined) {
  if (sessionToken) {
    const claims = readTokenClaims(sessionToken);
    const client = new SeatkeeperClient({ env: ctx.env, ...(url ? { url } : {}) });
    const base = url ?? (await client.config()).values.url;
    if (!base) throw new UsageError("Give the service address with --url or SEATKEEPER_URL.", command);
    return [{ sessionId: claims.sub, token: sessionToken, url: base, fromCli: false }];
  }
  const held = await heldByCli(ctx);
  if (id === undefined) return held.map((h) => ({ ...h, fromCli: true }));
  const match = held.find((h) => h.sessionId === id);
  if (!match) {
    throw new UsageError(
      `No session ${id} was taken by \`seatkeeper checkout\` on this account. Pass its token with --session-token, or run \`seatkeeper status\` to list the held ones.`,
      command,
    );
  }
  return [{ ...match, fromCli: true }];
}

/** What release and status share: their options, the sessions asked about, and a client attached to each. */
async function sessionsAsked(command: "release" | "status", args: string[], ctx: CliContext) {
  const p = parse(command, args, { "session-token": { type: "string" } });
  noMorePositionals(p, command, 1);
  const list = await targets(ctx, command, stringOption(p, "session-token"), p.positionals[0], stringOption(p, "url"));
  const clientFor = (s: (typeof list)[number]) => {
    const client = new SeatkeeperClient({ ...clientOptions(p, ctx, command), url: s.url });
    client.attach(s);
    return client;
  };
  return { list, clientFor };
}

export const releaseCommand: Command = {
  name: "release",
  summary: "give back seats taken with `seatkeeper checkout` (all of them, or the one named)",
  usage: "seatkeeper release [SESSION_ID] [--session-token TOKEN] [--url URL] [--json]",
  async run(args, ctx) {
    const { list, clientFor } = await sessionsAsked("release", args, ctx);
    if (list.length === 0) {
      ctx.out.result("No seat is held by `seatkeeper checkout` on this account: nothing to release.", { released: [] });
      return EXIT.ok;
    }
    const lines: string[] = [];
    const results: unknown[] = [];
    for (const s of list) {
      const client = clientFor(s);
      let out;
      try {
        out = await client.release();
      } catch (err) {
        // A token the service refuses can never release the seat: keeping the record would fail forever.
        if (err instanceof InvalidTokenError && s.fromCli) await removeIfExists(recordFile(ctx, s.sessionId));
        throw err;
      }
      if (s.fromCli) await removeIfExists(recordFile(ctx, s.sessionId));
      results.push({ sessionId: s.sessionId, ...out });
      if (out.journaled) lines.push(`${s.sessionId}: the service cannot be reached; the release is journalled and happens at the next checkout.`);
      else if (out.released) {
        const pool = out.pool ? ` (${out.pool.inUse} of ${plural(out.pool.seats, "seat")} now in use)` : "";
        lines.push(`${s.sessionId}: released${out.seatFreed ? ", seat returned to the pool" : ", the seat stays with this identity's other sessions"}${pool}.`);
      } else lines.push(`${s.sessionId}: had already ended (${out.reason ?? "released"}).`);
    }
    ctx.out.result(lines, { released: results });
    return EXIT.ok;
  },
};

export const statusCommand: Command = {
  name: "status",
  summary: "the seats taken with `seatkeeper checkout`, as the service sees them",
  usage: "seatkeeper status [SESSION_ID] [--session-token TOKEN] [--url URL] [--json]",
  async run(args, ctx) {
    const { list, clientFor } = await sessionsAsked("status", args, ctx);
    const pending = await new FileJournal(defaultConfigDir(ctx.env)).pendingReleases();
    const sessions: Array<SessionStatus | { sessionId: string; active: false; reason: string }> = [];
    for (const s of list) {
      const client = clientFor(s);
      try {
        sessions.push(await client.status());
      } catch (err) {
        if (!(err instanceof SessionEndedError)) throw err;
        sessions.push({ sessionId: s.sessionId, active: false, reason: err.reason });
      }
    }
    const lines =
      sessions.length === 0
        ? ["No seat is held by `seatkeeper checkout` on this account."]
        : table(
            ["SESSION", "SEAT", "HELD BY", "SINCE", "LAST SEEN", "STATE"],
            sessions.map((s) =>
              "seatId" in s
                ? [s.sessionId, s.seatId, who(s.user, s.machine, s.terminalSession), shortTime(s.startedAt), shortTime(s.lastSeenAt), s.active ? "active" : `ended (${s.reason ?? "?"})`]
                : [s.sessionId, "-", "-", "-", "-", `ended (${s.reason})`],
            ),
          );
    if (pending.length > 0) lines.push("", `${plural(pending.length, "release")} journalled while offline, done at the next checkout.`);
    ctx.out.result(lines, { sessions, pendingReleases: pending.map((e) => ({ sessionId: e.sessionId, url: e.url, recordedAt: e.recordedAt, cause: e.cause })) });
    return EXIT.ok;
  },
};
