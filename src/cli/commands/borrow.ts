/**
 * `seatkeeper borrow --days N` and `seatkeeper return`: take a seat out of the pool for
 * some days to work offline, and give it back early. The lease is kept beside the SDK's
 * journal, so `seatkeeper run` and any application on the SDK start offline on it.
 */
import { leaseDate, SeatkeeperClient } from "../../client/index.js";
import { identityOptions, intOption, noMorePositionals, parse, UsageError } from "../args.js";
import { clientOptions, type Command } from "../context.js";
import { EXIT } from "../describe-error.js";
import { who } from "../output.js";

const borrowOptions = { ...identityOptions, days: { type: "string" } } as const;

export const borrowCommand: Command = {
  name: "borrow",
  summary: "borrow a seat for some days, to work offline",
  usage: "seatkeeper borrow --days N [--client-version V] [--user U] [--machine M] [--machine-id ID|none] [--url URL] [--json]",
  async run(args, ctx) {
    const p = parse("borrow", args, borrowOptions);
    noMorePositionals(p, "borrow", 0);
    const days = intOption(p, "days", "borrow", { min: 1, max: 90 });
    if (days === undefined) throw new UsageError("Say for how many days with --days N (1 to 90).", "borrow");
    const client = new SeatkeeperClient({ ...clientOptions(p, ctx, "borrow"), recoverAfterCrash: false });
    const seat = await client.checkout();
    if (seat.offline) throw new UsageError("The service cannot be reached: a seat is borrowed while online.", "borrow");
    let out;
    try {
      out = await client.borrow(days);
    } catch (err) {
      await client.release().catch(() => undefined);
      throw err;
    }
    const cfg = await client.config();
    ctx.out.result(
      [
        `Seat borrowed for ${who(cfg.user, cfg.machine, cfg.terminalSession)} until ${leaseDate(out.until)} (${out.until}).`,
        "It starts the application on this computer without the network until then.",
        "Give it back early with: seatkeeper return",
      ],
      { ...out, sessionId: seat.sessionId },
    );
    return EXIT.ok;
  },
};

export const returnCommand: Command = {
  name: "return",
  summary: "give a borrowed seat back before its time (offline: at the next connection)",
  usage: "seatkeeper return [--url URL] [--json]",
  async run(args, ctx) {
    const p = parse("return", args, identityOptions);
    noMorePositionals(p, "return", 0);
    const client = new SeatkeeperClient(clientOptions(p, ctx, "return"));
    const out = await client.returnSeat();
    if (!out.returned) ctx.out.result("No seat is borrowed on this computer: nothing to return.", out);
    else if (out.journaled) ctx.out.result("The borrowed seat is given back; the service cannot be reached, so it learns at the next connection.", out);
    else ctx.out.result("The borrowed seat is given back to the pool.", out);
    return EXIT.ok;
  },
};
