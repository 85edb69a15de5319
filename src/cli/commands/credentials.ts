/** `seatkeeper credentials rotate` and `seatkeeper admin-keys rotate`: replacing leaked secrets. */
import { adminOptions, flag, noMorePositionals, parse, UsageError } from "../args.js";
import { adminClient, poolId, type Command } from "../context.js";
import { EXIT } from "../describe-error.js";
import { plural } from "../output.js";

export const credentialsCommand: Command = {
  name: "credentials",
  summary: "revoke the serial number and product key and issue a new pair (admin)",
  usage: "seatkeeper credentials rotate [--pool POOL] [--end-sessions] [--token T] [--url URL]",
  async run(args, ctx) {
    const [sub, ...rest] = args;
    if (sub !== "rotate") throw new UsageError(sub ? `credentials has no subcommand "${sub}"; it has rotate.` : "Say: credentials rotate.", "credentials");
    const p = parse("credentials rotate", rest, { ...adminOptions, "end-sessions": { type: "boolean" } });
    noMorePositionals(p, "credentials rotate", 0);
    const { admin, token } = await adminClient(p, ctx, "credentials rotate");
    const endSessions = flag(p, "end-sessions");
    const out = await admin.rotateCredentials(poolId(p, token, "credentials"), { endSessions });
    ctx.out.result(
      [
        "New credentials issued; the old pair is refused from now on.",
        `  serial       ${out.serial}`,
        `  product key  ${out.productKey}`,
        "",
        endSessions
          ? `${plural(out.sessionsEnded, "running session")} ended (reason "revoked").`
          : "Running sessions carry on and can still release their seats.",
        "The product key is shown this once: deploy the new pair now (`seatkeeper policy-template` writes the policy files).",
      ],
      out,
    );
    return EXIT.ok;
  },
};

export const adminKeysCommand: Command = {
  name: "admin-keys",
  summary: "issue a new admin key for a pool and revoke the previous one (admin)",
  usage: "seatkeeper admin-keys rotate [--pool POOL] [--token T] [--url URL]",
  async run(args, ctx) {
    const [sub, ...rest] = args;
    if (sub !== "rotate") throw new UsageError(sub ? `admin-keys has no subcommand "${sub}"; it has rotate.` : "Say: admin-keys rotate.", "admin-keys");
    const p = parse("admin-keys rotate", rest, adminOptions);
    noMorePositionals(p, "admin-keys rotate", 0);
    const { admin, token } = await adminClient(p, ctx, "admin-keys rotate");
    const out = await admin.rotateAdminKey(poolId(p, token, "admin-keys"));
    ctx.out.result(
      [`New admin key: ${out.adminKey}`, "The previous key no longer works. This one is shown this once: store it now."],
      out,
    );
    return EXIT.ok;
  },
};
