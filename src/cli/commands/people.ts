/** `seatkeeper staff add|list|set|remove|token` and `seatkeeper admins add|list|remove`: who may act, and with which key. */
import type { UpdateStaffRequest } from "../../client/index.js";
import { adminOptions, flag, noMorePositionals, parse, stringOption, UsageError } from "../args.js";
import { adminClient, poolId, type CliContext, type Command } from "../context.js";
import { EXIT } from "../describe-error.js";
import { shortTime, table } from "../output.js";

const ROLES = ["owner", "sales", "support", "viewer"] as const;
type StaffRoleName = (typeof ROLES)[number];

function roleOption(value: string | undefined, command: string): StaffRoleName | undefined {
  if (value === undefined) return undefined;
  if ((ROLES as readonly string[]).includes(value)) return value as StaffRoleName;
  throw new UsageError(`--role is one of ${ROLES.join(", ")}; "${value}" is not.`, command);
}

function dispatch(name: string, subs: Record<string, (args: string[], ctx: CliContext) => Promise<number>>) {
  return (args: string[], ctx: CliContext) => {
    const [sub, ...rest] = args;
    const run = sub === undefined ? undefined : subs[sub];
    if (!run) throw new UsageError(`${sub ? `${name} has no subcommand "${sub}"` : `Say what to do`}; it has ${Object.keys(subs).join(", ")}.`, name);
    return run(rest, ctx);
  };
}

const staffSubcommands: Record<string, (args: string[], ctx: CliContext) => Promise<number>> = {
  async add(args, ctx) {
    const p = parse("staff add", args, { ...adminOptions, email: { type: "string" }, name: { type: "string" }, role: { type: "string" } });
    noMorePositionals(p, "staff add", 0);
    const email = stringOption(p, "email");
    const name = stringOption(p, "name");
    const role = roleOption(stringOption(p, "role"), "staff");
    if (!email || !name || !role) throw new UsageError("Give --email ADDRESS --name NAME --role owner|sales|support|viewer.", "staff");
    const { admin } = await adminClient(p, ctx, "staff add");
    const out = await admin.createStaff({ email, name, role });
    ctx.out.result(
      [`Added ${out.name} <${out.email}> as ${out.role} (${out.staffId}).`, `  token  ${out.token}`, "", "The token is shown this once: hand it to them now."],
      out,
    );
    return EXIT.ok;
  },

  async list(args, ctx) {
    const p = parse("staff list", args, adminOptions);
    noMorePositionals(p, "staff list", 0);
    const { admin } = await adminClient(p, ctx, "staff list");
    const out = await admin.listStaff();
    const lines = out.staff.length === 0
      ? ["No staff yet. Add someone with: seatkeeper staff add --email ADDRESS --name NAME --role ROLE"]
      : table(["ID", "EMAIL", "NAME", "ROLE", "STATE"], out.staff.map((s) => [s.staffId, s.email, s.name, s.role, s.disabled ? "disabled" : "active"]));
    ctx.out.result(lines, out);
    return EXIT.ok;
  },

  async set(args, ctx) {
    const p = parse("staff set", args, { ...adminOptions, role: { type: "string" }, name: { type: "string" }, disable: { type: "boolean" }, enable: { type: "boolean" } });
    noMorePositionals(p, "staff set", 1);
    const staffId = p.positionals[0];
    if (!staffId) throw new UsageError("Name the staff member: seatkeeper staff set STAFF_ID --role ROLE | --disable | --enable.", "staff");
    const patch: UpdateStaffRequest = {};
    const role = roleOption(stringOption(p, "role"), "staff");
    if (role) patch.role = role;
    const name = stringOption(p, "name");
    if (name !== undefined) patch.name = name;
    if (flag(p, "disable") && flag(p, "enable")) throw new UsageError("Give --disable or --enable, not both.", "staff");
    if (flag(p, "disable")) patch.disabled = true;
    if (flag(p, "enable")) patch.disabled = false;
    if (Object.keys(patch).length === 0) throw new UsageError("Say what to change: --role ROLE, --name NAME, --disable or --enable.", "staff");
    const { admin } = await adminClient(p, ctx, "staff set");
    const out = await admin.updateStaff(staffId, patch);
    const state = out.disabled ? "disabled: their token and dashboard sessions no longer work" : "active";
    ctx.out.result([`${out.name} <${out.email}> is ${out.role}, ${state}.`], out);
    return EXIT.ok;
  },

  async remove(args, ctx) {
    const p = parse("staff remove", args, adminOptions);
    noMorePositionals(p, "staff remove", 1);
    const staffId = p.positionals[0];
    if (!staffId) throw new UsageError("Name the staff member: seatkeeper staff remove STAFF_ID.", "staff");
    const { admin } = await adminClient(p, ctx, "staff remove");
    const out = await admin.removeStaff(staffId);
    ctx.out.result([`Removed ${staffId}; their token and dashboard sessions no longer work.`], out);
    return EXIT.ok;
  },

  async token(args, ctx) {
    const p = parse("staff token", args, adminOptions);
    noMorePositionals(p, "staff token", 1);
    const staffId = p.positionals[0];
    if (!staffId) throw new UsageError("Name the staff member: seatkeeper staff token STAFF_ID.", "staff");
    const { admin } = await adminClient(p, ctx, "staff token");
    const out = await admin.replaceStaffToken(staffId);
    ctx.out.result([`New token for ${out.staffId}: ${out.token}`, "The previous token no longer works. This one is shown this once."], out);
    return EXIT.ok;
  },
};

export const staffCommand: Command = {
  name: "staff",
  summary: "the vendor's staff: add, list, set (role, disable), remove, token (owner)",
  usage: "seatkeeper staff add --email ADDRESS --name NAME --role owner|sales|support|viewer | list | set STAFF_ID [--role R] [--disable|--enable] | remove STAFF_ID | token STAFF_ID",
  run: dispatch("staff", staffSubcommands),
};

const adminSubcommands: Record<string, (args: string[], ctx: CliContext) => Promise<number>> = {
  async add(args, ctx) {
    const p = parse("admins add", args, { ...adminOptions, name: { type: "string" }, email: { type: "string" } });
    noMorePositionals(p, "admins add", 0);
    const name = stringOption(p, "name");
    if (!name) throw new UsageError("Give the new admin's name: seatkeeper admins add --name NAME [--email ADDRESS].", "admins");
    const { admin, token } = await adminClient(p, ctx, "admins add");
    const email = stringOption(p, "email");
    const out = await admin.addAdmin(poolId(p, token, "admins"), { name, ...(email ? { email } : {}) });
    ctx.out.result([`Added ${out.name} (${out.adminId}).`, `  admin key  ${out.adminKey}`, "", "The admin key is shown this once: hand it to them now."], out);
    return EXIT.ok;
  },

  async list(args, ctx) {
    const p = parse("admins list", args, adminOptions);
    noMorePositionals(p, "admins list", 0);
    const { admin, token } = await adminClient(p, ctx, "admins list");
    const out = await admin.listAdmins(poolId(p, token, "admins"));
    ctx.out.result(table(["ID", "NAME", "EMAIL", "SINCE"], out.admins.map((a) => [a.adminId, a.name, a.email ?? "", `${shortTime(a.createdAt)} UTC`])), out);
    return EXIT.ok;
  },

  async remove(args, ctx) {
    const p = parse("admins remove", args, adminOptions);
    noMorePositionals(p, "admins remove", 1);
    const adminId = p.positionals[0];
    if (!adminId) throw new UsageError("Name the admin: seatkeeper admins remove ADMIN_ID (`seatkeeper admins list` shows them).", "admins");
    const { admin, token } = await adminClient(p, ctx, "admins remove");
    const out = await admin.removeAdmin(poolId(p, token, "admins"), adminId);
    ctx.out.result([`Removed ${adminId}; their admin key and dashboard sessions no longer work.`], out);
    return EXIT.ok;
  },
};

export const adminsCommand: Command = {
  name: "admins",
  summary: "a pool's admins, each with their own key: add, list, remove (admin)",
  usage: "seatkeeper admins add --name NAME [--email ADDRESS] | list | remove ADMIN_ID  [--pool POOL] [--token T] [--url URL]",
  run: dispatch("admins", adminSubcommands),
};
