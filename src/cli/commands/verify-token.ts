/**
 * `seatkeeper verify-token`: what a program started by `seatkeeper run` checks at start-up,
 * that it was launched under a live seat. The token (SEATKEEPER_SESSION_TOKEN by default) is
 * verified with the service's published keys, cached so an offline start still verifies; it
 * must be issued to this user on this machine; then the service is asked whether the session
 * is still active, unless it cannot be reached or --offline says not to ask.
 */
import { InvalidTokenError, OfflineError, SeatkeeperClient, SeatkeeperError, type SessionTokenClaims } from "../../client/index.js";
import { foldText } from "../../contract/text.js";
import { flag, identityOptions, noMorePositionals, parse, UsageError } from "../args.js";
import { clientOptions, type Command } from "../context.js";
import { EXIT } from "../describe-error.js";
import { who } from "../output.js";

/** As the service compares identities (NFC, case folded, zero-width characters removed, trimmed): the contract's own fold. */
const same = (a: string | undefined, b: string | undefined) => foldText(a ?? "") === foldText(b ?? "");

export const verifyTokenCommand: Command = {
  name: "verify-token",
  summary: "check that a session token (SEATKEEPER_SESSION_TOKEN) is genuine, ours, and its seat still held",
  usage: [
    "seatkeeper verify-token [TOKEN] [--offline] [--user U] [--machine M] [--url URL] [--json]",
    "",
    "TOKEN defaults to SEATKEEPER_SESSION_TOKEN, which `seatkeeper run` gives the program it starts.",
    "Exit 0: the signature verifies with the service's keys (cached for offline starts), the token was",
    "issued to this user on this machine, and the service says the session is active (or cannot be",
    "reached, or --offline). Exit 1: forged, altered, another identity's, or the session has ended.",
  ].join("\n"),
  async run(args, ctx) {
    const p = parse("verify-token", args, { ...identityOptions, offline: { type: "boolean" } });
    noMorePositionals(p, "verify-token", 1);
    const token = (p.positionals[0] ?? ctx.env.SEATKEEPER_SESSION_TOKEN)?.trim();
    if (!token) throw new UsageError("Give the token, or run this under `seatkeeper run`, which sets SEATKEEPER_SESSION_TOKEN.", "verify-token");

    const client = new SeatkeeperClient(clientOptions(p, ctx, "verify-token"));
    const claims: SessionTokenClaims = await client.verifyToken(token);
    const cfg = await client.config();
    const me = { user: cfg.user, machine: cfg.machine, terminalSession: cfg.terminalSession };
    if (!same(claims.user, me.user) || !same(claims.machine, me.machine) || !same(claims.tsn, me.terminalSession)) {
      throw new InvalidTokenError(
        "invalid_token",
        `The session token is genuine but was issued to ${who(claims.user, claims.machine, claims.tsn)}, not to ${who(me.user, me.machine, me.terminalSession)}.`,
      );
    }

    let live: "active" | "unknown" | "not asked" = "not asked";
    if (!flag(p, "offline")) {
      client.attach({ sessionId: claims.sub, token, url: cfg.values.url! });
      try {
        const status = await client.status();
        if (!status.active) throw new SeatkeeperError("session_ended", "This session has ended: its seat is no longer held.", 410);
        live = "active";
      } catch (err) {
        if (!(err instanceof OfflineError)) throw err;
        live = "unknown";
      }
    }
    const state = live === "active" ? "the session is active" : live === "unknown" ? "the service cannot be reached, so the seat is taken as held (offline start)" : "not asked the service (--offline)";
    ctx.out.result(
      [`Valid session token for ${who(claims.user, claims.machine, claims.tsn)}, seat ${claims.seat} of pool ${claims.pool}: ${state}.`],
      { valid: true, session: live, claims },
    );
    return EXIT.ok;
  },
};
