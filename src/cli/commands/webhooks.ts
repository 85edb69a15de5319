/** `seatkeeper webhooks add|list|remove|deliveries`: the pool's webhooks. */
import { adminOptions, noMorePositionals, parse, stringOption, UsageError } from "../args.js";
import { adminClient, poolId, type Command } from "../context.js";
import { EXIT } from "../describe-error.js";
import { plural, shortTime, table } from "../output.js";
import { webhookEventTypes, type WebhookEventType } from "../../contract/index.js";

const usage = "seatkeeper webhooks add URL --events TYPE[,TYPE…] | list | remove WEBHOOK_ID | deliveries WEBHOOK_ID  [--pool POOL] [--token T] [--url URL] [--json]";

export const webhooksCommand: Command = {
  name: "webhooks",
  summary: "add, list and remove the pool's webhooks, and see their deliveries (admin)",
  usage,
  async run(args, ctx) {
    const p = parse("webhooks", args, { ...adminOptions, events: { type: "string" } });
    const [action, arg] = p.positionals;
    const { admin, token } = await adminClient(p, ctx, "webhooks");
    const id = poolId(p, token, "webhooks");
    switch (action) {
      case "add": {
        noMorePositionals(p, "webhooks", 2);
        if (!arg) throw new UsageError("Name the URL to deliver to.", "webhooks");
        const events = (stringOption(p, "events") ?? "").split(",").map((e) => e.trim()).filter(Boolean);
        const unknown = events.filter((e) => !(webhookEventTypes as readonly string[]).includes(e));
        if (events.length === 0 || unknown.length > 0) throw new UsageError(`--events is a comma-separated list of: ${webhookEventTypes.join(", ")}.`, "webhooks");
        const w = await admin.addWebhook(id, arg, events as WebhookEventType[]);
        ctx.out.result([
          `Webhook ${w.webhookId} sends ${w.events.join(", ")} to ${w.url}.`,
          `Signing secret (shown this once; copy it now): ${w.secret}`,
          "Your receiver verifies each delivery's webhook-signature header with it (Standard Webhooks).",
        ], w);
        return EXIT.ok;
      }
      case "list": {
        noMorePositionals(p, "webhooks", 1);
        const list = await admin.webhooks(id);
        ctx.out.result(
          list.webhooks.length === 0
            ? [`Pool ${id} has no webhooks. Add one with: seatkeeper webhooks add URL --events TYPE[,TYPE…]`]
            : table(["WEBHOOK", "URL", "EVENTS", "CREATED"], list.webhooks.map((w) => [w.webhookId, w.url, w.events.join(","), `${shortTime(w.createdAt)} UTC`])),
          list,
        );
        return EXIT.ok;
      }
      case "remove": {
        noMorePositionals(p, "webhooks", 2);
        if (!arg) throw new UsageError("Name the webhook to remove.", "webhooks");
        const out = await admin.removeWebhook(id, arg);
        ctx.out.result([`Removed webhook ${arg}.`], out);
        return EXIT.ok;
      }
      case "deliveries": {
        noMorePositionals(p, "webhooks", 2);
        if (!arg) throw new UsageError("Name the webhook.", "webhooks");
        const out = await admin.webhookDeliveries(id, arg);
        const failed = out.deliveries.filter((d) => d.status === "failed").length;
        const lines = out.deliveries.length === 0
          ? [`Nothing has been sent to webhook ${arg} yet.`]
          : table(["WHEN (UTC)", "EVENT", "STATUS", "ATTEMPTS", "LAST ERROR"], out.deliveries.map((d) => [shortTime(d.at), d.type, d.status === "failed" ? "FAILED" : d.status, String(d.attempts), d.lastError ?? ""]));
        if (failed > 0) lines.push("", `${plural(failed, "delivery", "deliveries")} failed: the receiver did not answer with a 2xx after every retry.`);
        ctx.out.result(lines, out);
        return EXIT.ok;
      }
      default:
        throw new UsageError(`Say what to do: add, list, remove or deliveries.`, "webhooks");
    }
  },
};
