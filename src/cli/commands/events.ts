/** `seatkeeper events`: the pool's audit log, newest first. */
import type { PoolEvent } from "../../client/index.js";
import { adminOptions, intOption, noMorePositionals, parse, stringOption } from "../args.js";
import { adminClient, poolId, type Command } from "../context.js";
import { EXIT } from "../describe-error.js";
import { shortTime, table, who } from "../output.js";

/** The event's details in one short line: `reason=pool_full seats=5`. */
function detailText(e: PoolEvent): string {
  if (!e.details) return "";
  return Object.entries(e.details)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : String(v)}`)
    .join(" ");
}

export const eventsCommand: Command = {
  name: "events",
  summary: "the pool's audit log, newest first (admin)",
  usage: "seatkeeper events [--pool POOL] [--limit N] [--before EVENT_ID] [--token T] [--url URL] [--json]",
  async run(args, ctx) {
    const p = parse("events", args, { ...adminOptions, limit: { type: "string" }, before: { type: "string" } });
    noMorePositionals(p, "events", 0);
    const { admin, token } = await adminClient(p, ctx, "events");
    const limit = intOption(p, "limit", "events", { min: 1, max: 500 });
    const before = stringOption(p, "before");
    const id = poolId(p, token, "events");
    const page = await admin.events(id, { ...(limit ? { limit } : {}), ...(before ? { before } : {}) });
    const lines =
      page.events.length === 0
        ? [`No events for pool ${id}.`]
        : table(
            ["TIME (UTC)", "EVENT", "WHO", "BY", "DETAILS"],
            page.events.map((e) => [shortTime(e.at), e.type, who(e.user, e.machine, e.terminalSession), e.actor ?? "-", detailText(e)]),
          );
    if (page.next) lines.push("", `Older events: seatkeeper events --pool ${id} --before ${page.next}`);
    ctx.out.result(lines, page);
    return EXIT.ok;
  },
};
