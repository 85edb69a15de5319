/** `seatkeeper pools create|list|show|set`: the vendor's and IT's view of pools. */
import type { PoolDetails, UpdatePoolRequest } from "../../client/index.js";
import { adminOptions, intOption, noMorePositionals, nullableOption, parse, stringOption, UsageError } from "../args.js";
import { adminClient, poolId, type CliContext, type Command } from "../context.js";
import { EXIT } from "../describe-error.js";
import { plural, shortTime, table } from "../output.js";

const SEATS = { min: 0, max: 1_000_000 };
const HOURS = { min: 1, max: 24 * 365 };

function describePool(p: PoolDetails): string[] {
  return [
    `Pool ${p.poolId} for ${p.customer}`,
    `  seats               ${p.inUse} of ${p.seats} in use`,
    `  serial              ${p.serial}`,
    `  min client version  ${p.minClientVersion ?? "any"}`,
    `  stale after         ${p.staleAfterHours === null ? "never (seats are held until released or freed)" : plural(p.staleAfterHours, "hour") + " without a heartbeat"}`,
    `  borrowing           ${p.maxBorrowDays == null ? "off" : `up to ${plural(p.maxBorrowDays, "day")}, ${p.maxBorrowedSeats == null ? "any number of seats" : `at most ${plural(p.maxBorrowedSeats, "seat")}`} at once`}`,
    `  created             ${shortTime(p.createdAt)} UTC`,
    // pool policy, shown when set
    ...(p.validFrom || p.validUntil ? [`  term                ${p.validFrom ? shortTime(p.validFrom) : "open"} to ${p.validUntil ? shortTime(p.validUntil) : "open"} UTC`] : []),
    ...(p.overdraftSeats ? [`  overdraft           up to ${plural(p.overdraftSeats, "seat")} beyond ${p.seats}`] : []),
    ...(p.blocked?.length ? [`  blocked             ${p.blocked.map((b) => [b.user && `user ${b.user}`, b.machine && `machine ${b.machine}`].filter(Boolean).join(" on ")).join("; ")}`] : []),
    ...Object.entries(p.groups ?? {}).map(([name, g]) =>
      `  group ${name.padEnd(13)} ${g.inUse} in use${g.reserved !== null ? `, ${g.reserved} reserved` : ""}${g.max !== null ? `, at most ${g.max}` : ""}`),
  ];
}

const subcommands: Record<string, (args: string[], ctx: CliContext) => Promise<number>> = {
  async create(args, ctx) {
    const p = parse("pools create", args, { ...adminOptions, customer: { type: "string" }, seats: { type: "string" }, "min-client-version": { type: "string" }, "stale-after-hours": { type: "string" } });
    noMorePositionals(p, "pools create", 0);
    const customer = stringOption(p, "customer");
    const seats = intOption(p, "seats", "pools create", SEATS);
    if (customer === undefined || seats === undefined) throw new UsageError("Give the customer's name and the number of seats: --customer NAME --seats N.", "pools");
    const { admin } = await adminClient(p, ctx, "pools create");
    const minClientVersion = stringOption(p, "min-client-version");
    const staleAfterHours = intOption(p, "stale-after-hours", "pools create", HOURS);
    const pool = await admin.createPool({ customer, seats, ...(minClientVersion ? { minClientVersion } : {}), ...(staleAfterHours ? { staleAfterHours } : {}) });
    ctx.out.result(
      [
        ...describePool(pool),
        `  product key         ${pool.productKey}`,
        `  admin key           ${pool.adminKey}`,
        "",
        "The product key and the admin key are shown this once: store them now.",
        "Give the serial number and product key to the customer's users (or their IT department, for the policy),",
        "and the admin key to their IT department.",
      ],
      pool,
    );
    return EXIT.ok;
  },

  async list(args, ctx) {
    const p = parse("pools list", args, { ...adminOptions, limit: { type: "string" }, after: { type: "string" } });
    noMorePositionals(p, "pools list", 0);
    const { admin } = await adminClient(p, ctx, "pools list");
    const limit = intOption(p, "limit", "pools list", { min: 1, max: 1000 });
    const after = stringOption(p, "after");
    const page = await admin.listPools({ ...(limit ? { limit } : {}), ...(after ? { after } : {}) });
    const lines =
      page.pools.length === 0
        ? ["No pools yet. Create one with: seatkeeper pools create --customer NAME --seats N"]
        : table(["POOL", "CUSTOMER", "IN USE", "SEATS"], page.pools.map((x) => [x.poolId, x.customer, String(x.inUse), String(x.seats)]));
    if (page.next) lines.push("", `More pools follow: seatkeeper pools list --after ${page.next}`);
    ctx.out.result(lines, page);
    return EXIT.ok;
  },

  async show(args, ctx) {
    const p = parse("pools show", args, adminOptions);
    noMorePositionals(p, "pools show", 1);
    const { admin, token } = await adminClient(p, ctx, "pools show");
    const pool = await admin.getPool(poolId(p, token, "pools", p.positionals[0]));
    ctx.out.result(describePool(pool), pool);
    return EXIT.ok;
  },

  async set(args, ctx) {
    const p = parse("pools set", args, {
      ...adminOptions, customer: { type: "string" }, seats: { type: "string" }, "min-client-version": { type: "string" }, "stale-after-hours": { type: "string" },
      "max-borrow-days": { type: "string" }, "max-borrowed-seats": { type: "string" },
      "valid-from": { type: "string" }, "valid-until": { type: "string" }, "overdraft-seats": { type: "string" }, blocked: { type: "string" }, groups: { type: "string" },
    });
    noMorePositionals(p, "pools set", 1);
    const patch: UpdatePoolRequest = {};
    const seats = intOption(p, "seats", "pools set", SEATS);
    if (seats !== undefined) patch.seats = seats;
    const customer = stringOption(p, "customer");
    if (customer !== undefined) patch.customer = customer;
    const minVersion = nullableOption(p, "min-client-version");
    if (minVersion !== undefined) patch.minClientVersion = minVersion;
    const stale = nullableOption(p, "stale-after-hours");
    if (stale !== undefined) {
      if (stale === null) patch.staleAfterHours = null;
      else patch.staleAfterHours = intOption(p, "stale-after-hours", "pools set", HOURS)!;
    }
    // borrowing a seat to work offline: `none` turns borrowing off, or lifts the limit
    const borrowDays = nullableOption(p, "max-borrow-days");
    if (borrowDays !== undefined) patch.maxBorrowDays = borrowDays === null ? null : intOption(p, "max-borrow-days", "pools set", { min: 1, max: 90 })!;
    const borrowSeats = nullableOption(p, "max-borrowed-seats");
    if (borrowSeats !== undefined) patch.maxBorrowedSeats = borrowSeats === null ? null : intOption(p, "max-borrowed-seats", "pools set", { min: 0, max: 100_000 })!;
    policyOptions(p, patch);
    if (Object.keys(patch).length === 0) {
      throw new UsageError(
        "Say what to change: --seats N, --customer NAME, --min-client-version V|none, --stale-after-hours H|none, --valid-from/--valid-until DATE|none, --overdraft-seats N|none, --blocked JSON|none, --groups JSON|none, --max-borrow-days D|none, --max-borrowed-seats N|none.",
        "pools",
      );
    }
    const { admin, token } = await adminClient(p, ctx, "pools set");
    const pool = await admin.updatePool(poolId(p, token, "pools", p.positionals[0]), patch);
    const lines = describePool(pool);
    if (patch.seats !== undefined && pool.inUse > pool.seats) {
      lines.push("", `${pool.inUse} seats are in use, more than the new ${pool.seats}: no one is cut off, and new checkouts wait until usage is below the limit.`);
    }
    ctx.out.result(lines, pool);
    return EXIT.ok;
  },
};

/** The pool policy flags of `pools set` (issue 12): dates as ISO, the lists as the contract's JSON, `none` to clear. */
function policyOptions(p: ReturnType<typeof parse>, patch: UpdatePoolRequest): void {
  for (const [flagName, field] of [["valid-from", "validFrom"], ["valid-until", "validUntil"]] as const) {
    const v = nullableOption(p, flagName);
    if (v === undefined) continue;
    if (v !== null && Number.isNaN(Date.parse(v))) throw new UsageError(`--${flagName} must be a date such as 2027-03-31 or 2027-03-31T23:59:59Z, or none; "${v}" is not.`, "pools set");
    patch[field] = v === null ? null : new Date(Date.parse(v)).toISOString();
  }
  const overdraft = nullableOption(p, "overdraft-seats");
  if (overdraft !== undefined) patch.overdraftSeats = overdraft === null ? null : intOption(p, "overdraft-seats", "pools set", SEATS)!;
  for (const [flagName, example] of [["blocked", '[{"user":"temp-*"},{"machine":"KIOSK-3"}]'], ["groups", '{"Design":{"reserved":5,"max":10}}']] as const) {
    const v = nullableOption(p, flagName);
    if (v === undefined) continue;
    if (v === null) {
      patch[flagName] = null;
      continue;
    }
    try {
      patch[flagName] = JSON.parse(v);
    } catch {
      throw new UsageError(`--${flagName} takes JSON such as '${example}', or none.`, "pools set");
    }
  }
}

export const poolsCommand: Command = {
  name: "pools",
  summary: "create, list, show and change pools (admin)",
  usage: [
    "seatkeeper pools create --customer NAME --seats N [--min-client-version V] [--stale-after-hours H]",
    "seatkeeper pools list [--limit N] [--after POOL]",
    "seatkeeper pools show [POOL]",
    "seatkeeper pools set [POOL] [--seats N] [--customer NAME] [--min-client-version V|none] [--stale-after-hours H|none]",
    "  [--valid-from DATE|none] [--valid-until DATE|none] [--overdraft-seats N|none]   (the vendor's)",
    "  [--blocked '[{\"user\":\"temp-*\"}]'|none] [--groups '{\"Design\":{\"reserved\":5,\"max\":10}}'|none]",
    "  [--max-borrow-days D|none] [--max-borrowed-seats N|none]",
    "  all take --token T (or SEATKEEPER_ADMIN_TOKEN) and --url URL (or SEATKEEPER_URL); POOL defaults to the admin key's pool",
  ].join("\n"),
  async run(args, ctx) {
    const [sub, ...rest] = args;
    const fn = sub ? subcommands[sub] : undefined;
    if (!fn) throw new UsageError(sub ? `pools has no subcommand "${sub}"; it has create, list, show, set.` : "Say which: pools create, list, show or set.", "pools");
    return fn(rest, ctx);
  },
};
