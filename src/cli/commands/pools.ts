/** `seatkeeper pools create|list|show|set`: the vendor's and IT's view of pools. */
import type { LocationHint, PoolDetails, Region, UpdatePoolRequest } from "../../client/index.js";
import { createWriteStream } from "node:fs";
import { createInterface } from "node:readline";
import { adminOptions, flag, intOption, noMorePositionals, nullableOption, parse, stringOption, UsageError } from "../args.js";
import { adminClient, poolId, type CliContext, type Command } from "../context.js";
import { EXIT } from "../describe-error.js";
import { plural, shortTime, table } from "../output.js";

const SEATS = { min: 0, max: 1_000_000 };
const HOURS = { min: 1, max: 24 * 365 };
const RETENTION = { min: 7, max: 400 };

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
    `  region              ${p.region === "eu" ? "EU (its data stays in the EU jurisdiction)" : "global"}${p.locationHint ? `, placed near ${p.locationHint}` : ""}`,
    `  keeps history for   ${plural(p.retentionDays, "day")}`,
    // waiting for a seat (issue 11)
    ...(p.reclaimIdleMinutes != null
      ? [`  idle seats          taken back for someone waiting after ${plural(p.reclaimIdleMinutes, "idle minute")}, with ${plural(p.reclaimGraceMinutes ?? 5, "minute")}' warning`]
      : []),
    ...(p.selfRelease === false ? ["  self-release        off (only admins free seats)"] : []),
  ];
}

/** The pool id as typed back, in any case and with or without dashes. */
const sameId = (typed: string, poolId: string) => typed.toUpperCase().replace(/[\s-]/g, "") === poolId.toUpperCase();

/**
 * A destructive command goes ahead with --yes, or when the pool's id is typed back at the
 * prompt; anything else (a wrong id, no input to read) stops it before any request.
 */
async function confirmed(p: Parameters<typeof flag>[0], ctx: CliContext, poolId: string, what: string): Promise<boolean> {
  if (flag(p, "yes")) return true;
  const input = ctx.streams.stdin;
  if (!input) return false;
  ctx.streams.stderr.write(`This ${what}. Type the pool id (${poolId}) to go ahead, or pass --yes: `);
  const rl = createInterface({ input, terminal: false });
  const line = await new Promise<string | null>((resolve) => {
    rl.once("line", (l) => resolve(l));
    rl.once("close", () => resolve(null));
  });
  rl.close();
  return line !== null && sameId(line, poolId);
}

const subcommands: Record<string, (args: string[], ctx: CliContext) => Promise<number>> = {
  async create(args, ctx) {
    const p = parse("pools create", args, {
      ...adminOptions, customer: { type: "string" }, seats: { type: "string" }, "min-client-version": { type: "string" }, "stale-after-hours": { type: "string" },
      region: { type: "string" }, "location-hint": { type: "string" }, "retention-days": { type: "string" },
    });
    noMorePositionals(p, "pools create", 0);
    const customer = stringOption(p, "customer");
    const seats = intOption(p, "seats", "pools create", SEATS);
    if (customer === undefined || seats === undefined) throw new UsageError("Give the customer's name and the number of seats: --customer NAME --seats N.", "pools");
    const { admin } = await adminClient(p, ctx, "pools create");
    const minClientVersion = stringOption(p, "min-client-version");
    const staleAfterHours = intOption(p, "stale-after-hours", "pools create", HOURS);
    const region = stringOption(p, "region");
    const locationHint = stringOption(p, "location-hint");
    const retentionDays = intOption(p, "retention-days", "pools create", RETENTION);
    const pool = await admin.createPool({
      customer, seats, ...(minClientVersion ? { minClientVersion } : {}), ...(staleAfterHours ? { staleAfterHours } : {}),
      // the service checks region and hint against the contract's lists, and says which values it takes
      ...(region ? { region: region.toLowerCase() as Region } : {}), ...(locationHint ? { locationHint: locationHint.toLowerCase() as LocationHint } : {}),
      ...(retentionDays ? { retentionDays } : {}),
    });
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
      "retention-days": { type: "string" },
      "reclaim-idle-minutes": { type: "string" }, "reclaim-grace-minutes": { type: "string" }, "self-release": { type: "string" },
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
    const retentionDays = intOption(p, "retention-days", "pools set", RETENTION);
    if (retentionDays !== undefined) patch.retentionDays = retentionDays;
    queueOptions(p, patch);
    if (Object.keys(patch).length === 0) {
      throw new UsageError(
        "Say what to change: --seats N, --customer NAME, --min-client-version V|none, --stale-after-hours H|none, --valid-from/--valid-until DATE|none, --overdraft-seats N|none, --blocked JSON|none, --groups JSON|none, --max-borrow-days D|none, --max-borrowed-seats N|none, --retention-days D, --reclaim-idle-minutes M|none, --reclaim-grace-minutes M, --self-release on|off.",
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

  async export(args, ctx) {
    const p = parse("pools export", args, { ...adminOptions, output: { type: "string", short: "o" } });
    noMorePositionals(p, "pools export", 1);
    const { admin, token } = await adminClient(p, ctx, "pools export");
    const id = poolId(p, token, "pools", p.positionals[0]);
    const file = stringOption(p, "output");
    const body = await admin.exportPool(id);
    const decoder = new TextDecoder();
    let lines = 0;
    const sink = file ? createWriteStream(file, { mode: 0o600 }) : undefined;
    const write = (bytes: Uint8Array) =>
      sink ? new Promise<void>((resolve, reject) => sink.write(bytes, (e) => (e ? reject(e) : resolve()))) : void ctx.streams.stdout.write(decoder.decode(bytes, { stream: true }));
    for await (const chunk of body) {
      for (const b of chunk) if (b === 10) lines++;
      await write(chunk);
    }
    if (sink) await new Promise<void>((resolve, reject) => sink.end((e?: Error | null) => (e ? reject(e) : resolve())));
    if (file) ctx.out.result(`Exported ${plural(lines, "record")} of pool ${id} to ${file}.`, { poolId: id, records: lines, file });
    else ctx.out.note(`Exported ${plural(lines, "record")} of pool ${id}.`);
    return EXIT.ok;
  },

  async erase(args, ctx) {
    const p = parse("pools erase", args, { ...adminOptions, user: { type: "string" }, machine: { type: "string" }, yes: { type: "boolean" } });
    noMorePositionals(p, "pools erase", 1);
    const user = stringOption(p, "user");
    if (user === undefined) throw new UsageError("Say whose names to erase: --user NAME [--machine NAME].", "pools");
    const machine = stringOption(p, "machine");
    const { admin, token } = await adminClient(p, ctx, "pools erase");
    const id = poolId(p, token, "pools", p.positionals[0]);
    if (!(await confirmed(p, ctx, id, `replaces a person's names with "erased" in pool ${id}'s history, for good`))) {
      throw new UsageError("Nothing was erased: confirm by typing the pool id, or pass --yes.", "pools");
    }
    const out = await admin.erasePerson(id, { user, ...(machine !== undefined ? { machine } : {}) });
    ctx.out.result(
      `Erased the names from ${plural(out.records, "record")}: ${plural(out.seats, "ended seat")}, ${plural(out.sessions, "ended session")}, ${plural(out.events, "event")}. Seats in use are untouched.`,
      out,
    );
    return EXIT.ok;
  },

  async delete(args, ctx) {
    const p = parse("pools delete", args, { ...adminOptions, yes: { type: "boolean" } });
    noMorePositionals(p, "pools delete", 1);
    const { admin, token } = await adminClient(p, ctx, "pools delete");
    const id = poolId(p, token, "pools", p.positionals[0]);
    if (!(await confirmed(p, ctx, id, `deletes pool ${id} and all it holds, for good; its serial stops working`))) {
      throw new UsageError("Nothing was deleted: confirm by typing the pool id, or pass --yes.", "pools");
    }
    const out = await admin.deletePool(id);
    ctx.out.result(`Deleted pool ${out.poolId} and all it held. Its serial number no longer works.`, out);
    return EXIT.ok;
  },
};

/** The flags of `pools set` for waiting users (issue 11): idle reclaim, and users freeing their own seat. */
function queueOptions(p: Parameters<typeof flag>[0], patch: UpdatePoolRequest): void {
  const idle = nullableOption(p, "reclaim-idle-minutes");
  if (idle !== undefined) patch.reclaimIdleMinutes = idle === null ? null : intOption(p, "reclaim-idle-minutes", "pools set", { min: 1, max: 1440 })!;
  const grace = intOption(p, "reclaim-grace-minutes", "pools set", { min: 0, max: 60 });
  if (grace !== undefined) patch.reclaimGraceMinutes = grace;
  const self = stringOption(p, "self-release");
  if (self !== undefined) {
    const v = self.trim().toLowerCase();
    if (v !== "on" && v !== "off") throw new UsageError(`--self-release takes on or off; "${self}" is neither.`, "pools set");
    patch.selfRelease = v === "on";
  }
}

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
  summary: "create, list, show, change, export, erase from and delete pools (admin)",
  usage: [
    "seatkeeper pools create --customer NAME --seats N [--min-client-version V] [--stale-after-hours H] [--region global|eu] [--location-hint weur|...] [--retention-days D]",
    "seatkeeper pools list [--limit N] [--after POOL]",
    "seatkeeper pools show [POOL]",
    "seatkeeper pools set [POOL] [--seats N] [--customer NAME] [--min-client-version V|none] [--stale-after-hours H|none]",
    "  [--valid-from DATE|none] [--valid-until DATE|none] [--overdraft-seats N|none]   (the vendor's)",
    "  [--blocked '[{\"user\":\"temp-*\"}]'|none] [--groups '{\"Design\":{\"reserved\":5,\"max\":10}}'|none]",
    "  [--max-borrow-days D|none] [--max-borrowed-seats N|none]",
    "  [--retention-days D]",
    "  [--reclaim-idle-minutes M|none] [--reclaim-grace-minutes M] [--self-release on|off]   (idle seats taken back for waiters; users freeing their own seat)",
    "seatkeeper pools export [POOL] [--output FILE]",
    "seatkeeper pools erase [POOL] --user NAME [--machine NAME] [--yes]",
    "seatkeeper pools delete [POOL] [--yes]   (vendor; without --yes, type the pool id to confirm)",
    "  all take --token T (or SEATKEEPER_ADMIN_TOKEN) and --url URL (or SEATKEEPER_URL); POOL defaults to the admin key's pool",
  ].join("\n"),
  async run(args, ctx) {
    const [sub, ...rest] = args;
    const fn = sub ? subcommands[sub] : undefined;
    if (!fn) throw new UsageError(sub ? `pools has no subcommand "${sub}"; it has create, list, show, set, export, erase, delete.` : "Say which: pools create, list, show, set, export, erase or delete.", "pools");
    return fn(rest, ctx);
  },
};
