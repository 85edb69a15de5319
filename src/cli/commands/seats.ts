/** `seatkeeper seats list|free`: who holds the pool's seats, and freeing one. */
import { adminOptions, noMorePositionals, parse, UsageError } from "../args.js";
import { adminClient, poolId, type CliContext, type Command } from "../context.js";
import { EXIT } from "../describe-error.js";
import { plural, shortTime, table, who } from "../output.js";

async function list(args: string[], ctx: CliContext): Promise<number> {
  const p = parse("seats list", args, adminOptions);
  noMorePositionals(p, "seats list", 1);
  const { admin, token } = await adminClient(p, ctx, "seats list");
  const id = poolId(p, token, "seats", p.positionals[0]);
  const { seats } = await admin.listSeats(id);
  const lines =
    seats.length === 0
      ? [`No seat of pool ${id} is in use.`]
      : table(
          ["SEAT", "HELD BY", "SINCE", "LAST SEEN", "SESSIONS"],
          seats.map((s) => [s.seatId, who(s.user, s.machine, s.terminalSession), shortTime(s.since), shortTime(s.lastSeenAt), String(s.sessions.length)]),
        );
  if (seats.length > 0) lines.push("", `${plural(seats.length, "seat")} in use. Free one with: seatkeeper seats free SEAT --pool ${id}`);
  ctx.out.result(lines, { seats });
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
  usage: ["seatkeeper seats list [POOL]", "seatkeeper seats free SEAT [--pool POOL]", "  both take --token and --url; POOL defaults to the admin key's pool"].join("\n"),
  async run(args, ctx) {
    const [sub, ...rest] = args;
    if (sub === "list") return list(rest, ctx);
    if (sub === "free") return free(rest, ctx);
    throw new UsageError(sub ? `seats has no subcommand "${sub}"; it has list and free.` : "Say which: seats list or seats free.", "seats");
  },
};
