/**
 * Waiting for a seat: `seatkeeper queue list|remove` for a pool's admins (who waits, and
 * taking a waiter out), and `seatkeeper release-own` for a user who left a seat held on
 * another machine (`POST /v1/seats/{seatId}/release`).
 */
import { ForbiddenError, SeatkeeperClient, SeatkeeperError } from "../../client/index.js";
import { adminOptions, identityOptions, noMorePositionals, parse, UsageError } from "../args.js";
import { adminClient, clientOptions, poolId, type CliContext, type Command } from "../context.js";
import { EXIT } from "../describe-error.js";
import { plural, shortTime, table, who } from "../output.js";

async function list(args: string[], ctx: CliContext): Promise<number> {
  const p = parse("queue list", args, adminOptions);
  noMorePositionals(p, "queue list", 1);
  const { admin, token } = await adminClient(p, ctx, "queue list");
  const id = poolId(p, token, "queue", p.positionals[0]);
  const { waiting } = await admin.queue(id);
  const lines =
    waiting.length === 0
      ? [`Nobody waits for a seat of pool ${id}.`]
      : [
          ...table(
            ["#", "WAITING", "SINCE", "TICKET"],
            waiting.map((w) => [String(w.position), who(w.user, w.machine, w.terminalSession), shortTime(w.since), w.ticketId]),
          ),
          "",
          `${plural(waiting.length, "waiter")}, first in line first. Take one out with: seatkeeper queue remove TICKET --pool ${id}`,
        ];
  ctx.out.result(lines, { waiting });
  return EXIT.ok;
}

async function remove(args: string[], ctx: CliContext): Promise<number> {
  const p = parse("queue remove", args, adminOptions);
  noMorePositionals(p, "queue remove", 1);
  const ticketId = p.positionals[0];
  if (!ticketId) throw new UsageError("Name the waiter's ticket: seatkeeper queue remove TICKET (`seatkeeper queue list` shows them).", "queue");
  const { admin, token } = await adminClient(p, ctx, "queue remove");
  const out = await admin.removeFromQueue(poolId(p, token, "queue"), ticketId);
  ctx.out.result(`Ticket ${ticketId} taken out of the queue: that user no longer waits, and the next in line moves up.`, out);
  return EXIT.ok;
}

export const queueCommand: Command = {
  name: "queue",
  summary: "list who waits for a seat, or take a waiter out (admin)",
  usage: [
    "seatkeeper queue list [POOL]",
    "  who waits for a seat, first in line first, and since when",
    "seatkeeper queue remove TICKET [--pool POOL]",
    "  takes that waiter out of the queue (a seat given to them and not yet picked up passes on)",
    "",
    "With the vendor token, name the pool; a pool admin key implies its own pool.",
  ].join("\n"),
  async run(args, ctx) {
    const [sub, ...rest] = args;
    if (sub === "list") return list(rest, ctx);
    if (sub === "remove") return remove(rest, ctx);
    throw new UsageError(sub ? `queue has no subcommand "${sub}"; it has list and remove.` : "Say what to do: seatkeeper queue list, or seatkeeper queue remove TICKET.", "queue");
  },
};

export const releaseOwnCommand: Command = {
  name: "release-own",
  summary: "free your own seat left in use on another computer (as a full pool lists it)",
  usage: [
    "seatkeeper release-own SEAT [--user U] [--machine M] [--url URL] [--json]",
    "  SEAT is one the \"No seat is free\" message lists as yours on another computer; refused while",
    "  the program there is open and in use. Reads the serial number and product key like `run`.",
  ].join("\n"),
  async run(args, ctx) {
    const p = parse("release-own", args, identityOptions);
    noMorePositionals(p, "release-own", 1);
    const seatId = p.positionals[0];
    if (!seatId) throw new UsageError("Name your seat to free: seatkeeper release-own SEAT (a full pool's message lists yours).", "release-own");
    const client = new SeatkeeperClient({ ...clientOptions(p, ctx, "release-own"), recoverAfterCrash: false, live: false });
    try {
      const out = await client.releaseOwnSeat(seatId);
      ctx.out.result(`Your seat ${seatId} is free: the program there no longer holds it. ${out.pool.inUse} of ${plural(out.pool.seats, "seat")} now in use.`, out);
      return EXIT.ok;
    } catch (err) {
      // the pool's setting, not an admin key's reach: the service's own words say so
      if (err instanceof ForbiddenError) throw new SeatkeeperError(err.code, err.message, err.status, err.details);
      throw err;
    }
  },
};
