/** `seatkeeper seats list|free`: who holds the pool's seats, and freeing one. */
import type { Seat } from "../../client/index.js";
import { adminOptions, intOption, noMorePositionals, parse, stringOption, UsageError } from "../args.js";
import { adminClient, poolId, type CliContext, type Command } from "../context.js";
import { EXIT } from "../describe-error.js";
import { plural, shortTime, table, who } from "../output.js";

const SHARED_MARK = "shared from many addresses";

/**
 * Every seat, page after page, unless --limit asks for one page (then --cursor names the
 * next); --q keeps the seats whose user or machine holds the text.
 */
async function list(args: string[], ctx: CliContext): Promise<number> {
  const p = parse("seats list", args, { ...adminOptions, limit: { type: "string" }, cursor: { type: "string" }, q: { type: "string" } });
  noMorePositionals(p, "seats list", 1);
  const limit = intOption(p, "limit", "seats list", { min: 1, max: 500 });
  const cursor = stringOption(p, "cursor");
  if (cursor !== undefined && limit === undefined) throw new UsageError("--cursor goes with --limit: it names the next page of a listing made with --limit.", "seats");
  const q = stringOption(p, "q");
  const { admin, token } = await adminClient(p, ctx, "seats list");
  const id = poolId(p, token, "seats", p.positionals[0]);
  const query = { ...(q ? { q } : {}) };
  let seats: Seat[];
  let total: number;
  let next: string | null = null;
  if (limit !== undefined) {
    const page = await admin.listSeats(id, { ...query, limit, ...(cursor ? { cursor } : {}) });
    ({ seats, total, next } = page);
  } else {
    seats = [];
    total = 0;
    for await (const page of admin.seatPages(id, query)) {
      if (seats.length === 0) total = page.total;
      seats.push(...page.seats);
    }
  }
  const what = q ? `seats in use matching "${q}"` : "seats in use";
  const lines =
    seats.length === 0
      ? [q ? `No seat of pool ${id} in use matches "${q}".` : `No seat of pool ${id} is in use.`]
      : table(
          ["SEAT", "HELD BY", "SINCE", "LAST SEEN", "SESSIONS", "NOTE"],
          seats.map((s) => [
            s.seatId, who(s.user, s.machine, s.terminalSession), shortTime(s.since), shortTime(s.lastSeenAt), String(s.sessions.length),
            [s.sharedFromAddresses ? SHARED_MARK : "", s.borrowedUntil ? `borrowed until ${shortTime(s.borrowedUntil)} UTC` : ""].filter(Boolean).join("; "),
          ]),
        );
  if (seats.length > 0) {
    const shown = seats.length === total ? `${plural(total, "seat")} in use${q ? ` matching "${q}"` : ""}` : `${seats.length} of ${total} ${what} shown`;
    lines.push("", `${shown}. Free one with: seatkeeper seats free SEAT --pool ${id}`);
    const shared = seats.filter((s) => s.sharedFromAddresses).length;
    if (shared > 0) lines.push(`${plural(shared, "seat")} ${shared === 1 ? "is" : "are"} ${SHARED_MARK}: one identity used by several people, perhaps.`);
  }
  if (next) lines.push(`More seats follow: seatkeeper seats list ${id} --limit ${limit}${q ? ` --q ${JSON.stringify(q)}` : ""} --cursor ${next}`);
  ctx.out.result(lines, { seats, total, next });
  return EXIT.ok;
}

async function free(args: string[], ctx: CliContext): Promise<number> {
  const p = parse("seats free", args, adminOptions);
  noMorePositionals(p, "seats free", 1);
  const seatId = p.positionals[0];
  if (!seatId) throw new UsageError("Name the seat to free: seatkeeper seats free SEAT (`seatkeeper seats list` shows them).", "seats");
  const { admin, token } = await adminClient(p, ctx, "seats free");
  const out = await admin.freeSeat(poolId(p, token, "seats"), seatId);
  ctx.out.result(
    `Seat ${seatId} freed: its sessions ended (reason "freed") and learn it at their next heartbeat. ${out.pool.inUse} of ${plural(out.pool.seats, "seat")} now in use.`,
    out,
  );
  return EXIT.ok;
}

export const seatsCommand: Command = {
  name: "seats",
  summary: "list who holds seats, or free one (admin)",
  usage: [
    "seatkeeper seats list [POOL] [--q TEXT] [--limit N [--cursor NEXT]]",
    "  every seat in use (or those whose user or machine holds TEXT); --limit N shows one page of N",
    "seatkeeper seats free SEAT [--pool POOL]",
    "  both take --token and --url; POOL defaults to the admin key's pool",
  ].join("\n"),
  async run(args, ctx) {
    const [sub, ...rest] = args;
    if (sub === "list") return list(rest, ctx);
    if (sub === "free") return free(rest, ctx);
    throw new UsageError(sub ? `seats has no subcommand "${sub}"; it has list and free.` : "Say which: seats list or seats free.", "seats");
  },
};
