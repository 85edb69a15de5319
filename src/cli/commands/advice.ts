/** `seatkeeper advice`: how many seats the pool should have, and why. */
import { adminOptions, intOption, noMorePositionals, parse } from "../args.js";
import { adminClient, poolId, type Command } from "../context.js";
import { EXIT } from "../describe-error.js";
import { plural } from "../output.js";

export const adviceCommand: Command = {
  name: "advice",
  summary: "how many seats the pool should have, judged on its usage (admin)",
  usage: "seatkeeper advice [--pool POOL] [--days 1-62] [--token T] [--url URL] [--json]",
  async run(args, ctx) {
    const p = parse("advice", args, { ...adminOptions, days: { type: "string" } });
    noMorePositionals(p, "advice", 0);
    const days = intOption(p, "days", "advice", { min: 1, max: 62 });
    const { admin, token } = await adminClient(p, ctx, "advice");
    const advice = await admin.advice(poolId(p, token, "advice"), days === undefined ? {} : { days });
    const b = advice.basis;
    ctx.out.result([
      `Recommended: ${plural(advice.recommendedSeats, "seat")} (now ${advice.seats}).`,
      advice.message,
      `Over ${plural(b.days, "day")}: peak ${b.peakInUse} in use, ${plural(b.hoursAtFull, "hour")} at full use, ${plural(b.denials, "person", "people")} turned away in ${plural(b.deniedHours, "hour")}.`,
    ], advice);
    return EXIT.ok;
  },
};
