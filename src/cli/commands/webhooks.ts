/** `seatkeeper webhooks add|list|remove|deliveries`: the pool's webhooks, or with --vendor the vendor's for every pool. */
import { adminOptions, flag, noMorePositionals, parse, stringOption, UsageError } from "../args.js";
import { adminClient, poolId, type Command } from "../context.js";
import { EXIT } from "../describe-error.js";
import { plural, shortTime, table } from "../output.js";
import { webhookEventTypes, type WebhookEventType } from "../../contract/index.js";

const usage = [
  "seatkeeper webhooks add URL --events TYPE[,TYPE…] | list | remove WEBHOOK_ID | deliveries WEBHOOK_ID  [--pool POOL] [--token T] [--url URL] [--json]",
  "  --vendor: add, list or remove the vendor's webhooks for every pool (vendor token). Each pool logs its own deliveries to them:",
  "  seatkeeper webhooks deliveries WEBHOOK_ID --pool POOL",
].join("\n");

export const webhooksCommand: Command = {
  name: "webhooks",
  summary: "add, list and remove the pool's (or with --vendor every pool's) webhooks, and see their deliveries (admin)",
  usage,
  async run(args, ctx) {
    const p = parse("webhooks", args, { ...adminOptions, events: { type: "string" }, vendor: { type: "boolean" } });
    const [action, arg] = p.positionals;
    const vendor = flag(p, "vendor");
    if (vendor && action === "deliveries") {
      throw new UsageError("Each pool logs its own deliveries to a vendor-wide webhook: name the pool with --pool POOL, without --vendor.", "webhooks");
    }
    if (vendor && stringOption(p, "pool") !== undefined) throw new UsageError("--vendor is for the webhooks of every pool: leave out --pool.", "webhooks");
    const { admin, token } = await adminClient(p, ctx, "webhooks");
    const id = vendor ? "" : poolId(p, token, "webhooks");
    switch (action) {
      case "add": {
        noMorePositionals(p, "webhooks", 2);
        if (!arg) throw new UsageError("Name the URL to deliver to.", "webhooks");
        const events = (stringOption(p, "events") ?? "").split(",").map((e) => e.trim()).filter(Boolean);
        const unknown = events.filter((e) => !(webhookEventTypes as readonly string[]).includes(e));
        if (events.length === 0 || unknown.length > 0) throw new UsageError(`--events is a comma-separated list of: ${webhookEventTypes.join(", ")}.`, "webhooks");
        const w = vendor ? await admin.addVendorWebhook(arg, events as WebhookEventType[]) : await admin.addWebhook(id, arg, events as WebhookEventType[]);
        ctx.out.result([
          `Webhook ${w.webhookId} sends ${w.events.join(", ")}${vendor ? " of every pool" : ""} to ${w.url}.`,
          `Signing secret (shown this once; copy it now): ${w.secret}`,
          "Your receiver verifies each delivery's webhook-signature header with it (Standard Webhooks).",
        ], w);
        return EXIT.ok;
      }
      case "list": {
        noMorePositionals(p, "webhooks", 1);
        const list = vendor ? await admin.vendorWebhooks() : await admin.webhooks(id);
        ctx.out.result(
          list.webhooks.length === 0
            ? [vendor
              ? "There are no webhooks for every pool. Add one with: seatkeeper webhooks add URL --events TYPE[,TYPE…] --vendor"
              : `Pool ${id} has no webhooks. Add one with: seatkeeper webhooks add URL --events TYPE[,TYPE…]`]
            : table(["WEBHOOK", "URL", "EVENTS", "CREATED"], list.webhooks.map((w) => [w.webhookId, w.url, w.events.join(","), `${shortTime(w.createdAt)} UTC`])),
          list,
        );
        return EXIT.ok;
      }
      case "remove": {
        noMorePositionals(p, "webhooks", 2);
        if (!arg) throw new UsageError("Name the webhook to remove.", "webhooks");
        const out = vendor ? await admin.removeVendorWebhook(arg) : await admin.removeWebhook(id, arg);
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
