/** `seatkeeper usage`: how busy the pool was, as a chart of peak seats and denials. */
import { adminOptions, noMorePositionals, parse, stringOption, UsageError } from "../args.js";
import { usageChart } from "../chart.js";
import { adminClient, poolId, type Command } from "../context.js";
import { EXIT } from "../describe-error.js";
import { plural } from "../output.js";

export const usageCommand: Command = {
  name: "usage",
  summary: "a chart of peak seats in use and denials per hour or day (admin)",
  usage: "seatkeeper usage [--pool POOL] [--bucket hour|day] [--from ISO_TIME] [--to ISO_TIME] [--token T] [--url URL] [--json]",
  async run(args, ctx) {
    const p = parse("usage", args, { ...adminOptions, bucket: { type: "string" }, from: { type: "string" }, to: { type: "string" } });
    noMorePositionals(p, "usage", 0);
    const bucket = stringOption(p, "bucket") ?? "hour";
    if (bucket !== "hour" && bucket !== "day") throw new UsageError(`--bucket is hour or day, not "${bucket}".`, "usage");
    const from = stringOption(p, "from");
    const to = stringOption(p, "to");
    for (const [name, v] of [["from", from], ["to", to]] as const) {
      if (v !== undefined && Number.isNaN(Date.parse(v))) throw new UsageError(`--${name} must be a time such as 2026-11-27 or 2026-11-27T14:00Z; "${v}" is not.`, "usage");
    }
    const { admin, token } = await adminClient(p, ctx, "usage");
    const id = poolId(p, token, "usage");
    const [pool, usage] = await Promise.all([
      admin.getPool(id),
      admin.usage(id, { bucket, ...(from ? { from: new Date(from).toISOString() } : {}), ...(to ? { to: new Date(to).toISOString() } : {}) }),
    ]);
    const checkouts = usage.buckets.reduce((n, b) => n + b.checkouts, 0);
    const denials = usage.buckets.reduce((n, b) => n + b.denials, 0);
    const peak = Math.max(0, ...usage.buckets.map((b) => b.peakInUse));
    const lines = [
      `Pool ${pool.poolId} (${pool.customer}), ${plural(pool.seats, "seat")}: usage per ${bucket}, UTC`,
      "",
      ...usageChart(usage.buckets, usage.bucket, pool.seats),
      "",
      `Peak ${peak} of ${pool.seats}; ${plural(checkouts, "checkout")}; ${plural(denials, "denial")} (someone turned away because every seat was taken).`,
    ];
    ctx.out.result(lines, usage);
    return EXIT.ok;
  },
};
