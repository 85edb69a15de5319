/**
 * The self-service dashboard at /admin: server-rendered pages (hono/jsx) over the same
 * pool-object RPC methods as the admin API. Every state change is a plain form post,
 * guarded three ways against cross-site requests (Sec-Fetch-Site/Origin, SameSite=Strict
 * cookie, per-session token), answered with a redirect (post/redirect/get) that carries
 * its outcome in an encrypted one-shot cookie.
 */
import { Hono, type Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { refusedRole, type Actor, type Failure } from "../../../durable-objects/outcome.js";
import { digestsEqual } from "../../../durable-objects/constant-time.js";
import { CreatePoolRequest, CreateWebhookRequest, ErasureRequest, UpdatePoolRequest, webhookEventTypes } from "../../contract/schemas.js";
import { errorStatus } from "../../contract/errors.js";
import { verifyCredential } from "../auth.js";
import { parseAdminKey, parsePoolId } from "../credentials.js";
import type { AppEnv } from "../env.js";
import { ApiError } from "../errors.js";
import { failedAuthentication } from "../failure-limiter.js";
import { DASHBOARD_CSS, DASHBOARD_ICON, DASHBOARD_JS } from "./assets.js";
import { DASHBOARD_CSP } from "./csp.js";
import * as ops from "./operations.js";
import { crossSiteReason } from "./origin-guard.js";
import {
  COOKIE_SECONDS, FLASH_COOKIE, SESSION_COOKIE, beginSession, endSession, loadSession, openFlash, sealFlash,
  type DashboardSession, type Flash, type NewSession,
} from "./session.js";
import { directoryStub } from "../pool-stub.js";
import { SessionsPage } from "./views/sessions-page.js";
import { OIDC_STATE_COOKIE, authorizationUrl, completeSignIn, takePending, vendorOidc } from "./oidc.js";
import { ConfirmPage, ErrorPage } from "./views/layout.js";
import { Identity, PoolPage, identity, poolPagePath, poolPath, seatsViewParams } from "./views/pool-page.js";
import { isolate } from "./views/format.js";
import { SignInPage } from "./views/sign-in.js";
import { VendorPage } from "./views/vendor-page.js";
import { DeliveriesPage, WebhooksPage, webhooksPath, type WebhookScope } from "./views/webhooks.js";

type SessionProblem = "missing" | "expired" | "invalid" | "ended";
const SEAT_GONE = "That seat is no longer in use: the application released it or someone freed it already.";
export type DashboardEnv = AppEnv & { Variables: { session?: DashboardSession; sessionProblem?: SessionProblem } };
type C = Context<DashboardEnv>;


const signInMessages: Record<string, string> = {
  "sign-in": "Sign in to continue.",
  "signed-out": "You are signed out.",
  expired: "Your session expired, so you were signed out. Sign in again.",
  invalid: "Your session cookie was not valid, so it was discarded. Sign in again.",
  ended: "Your session has ended: you signed out, it was ended from another of your sessions, or your access was removed. Sign in again.",
  "key-replaced": "The admin key this session was signed in with has been replaced, so the session ended. Sign in with the new admin key.",
  "no-cookie":
    "You signed in, but the browser did not keep the session cookie. Allow cookies for this site, and open the dashboard over HTTPS (or http://127.0.0.1 or http://localhost when running it locally).",
};

const fieldNames: Record<string, string> = {
  customer: "Customer",
  seats: "Seats",
  minClientVersion: "Minimum client version",
  staleAfterHours: "Hours without a heartbeat",
  maxSessionsPerSeat: "Most sessions per seat",
  maxAddressesPerSeat: "Most network addresses per seat",
  refuseWidelySharedSeats: "When a seat is used from more addresses",
  maxBorrowDays: "Days a seat may be borrowed",
  maxBorrowedSeats: "Most seats borrowed at once",
  validFrom: "Licence term starts",
  validUntil: "Licence term ends",
  overdraftSeats: "Overdraft seats",
  blocked: "Blocked users and machines",
  groups: "Groups",
  retentionDays: "Days ended sessions and events are kept",
  reclaimIdleMinutes: "Idle minutes before a seat is taken back",
  reclaimGraceMinutes: "Warning before it is taken back",
  selfRelease: "Users freeing their own seat",
  user: "User name",
  machine: "Machine",
  url: "URL to deliver to",
  events: "Events to send",
};

/** Pool policy fields of the settings form (issue 12): dates, the overdraft, the blocklist and groups as plain lines. */
function policyFrom(form: Record<string, string>, patch: Record<string, unknown>): string | undefined {
  for (const key of ["validFrom", "validUntil"] as const) {
    const raw = form[key];
    if (raw === undefined) continue;
    if (raw.trim() === "") patch[key] = null;
    else if (!/^\d{4}-\d{2}-\d{2}$/.test(raw.trim()) || Number.isNaN(Date.parse(raw.trim()))) return `${fieldNames[key]}: enter a date such as 2027-03-31.`;
    // the term ends at the end of the day it names
    else patch[key] = key === "validFrom" ? `${raw.trim()}T00:00:00.000Z` : new Date(Date.parse(raw.trim()) + 86_400_000).toISOString();
  }
  if (form.overdraftSeats !== undefined) {
    if (form.overdraftSeats.trim() === "") patch.overdraftSeats = null;
    else {
      const n = wholeNumber(form.overdraftSeats, "Overdraft seats", 0, 1_000_000);
      if (typeof n === "string") return n;
      patch.overdraftSeats = n;
    }
  }
  if (form.blocked !== undefined) {
    const rules: { user?: string; machine?: string }[] = [];
    for (const line of form.blocked.split(/\r?\n/).map((l) => l.trim()).filter(Boolean)) {
      const m = /^(user|machine)\s+(.+)$/i.exec(line);
      if (!m) return `Blocked users and machines: write each line as "user NAME" or "machine NAME"; "${line.slice(0, 40)}" is neither.`;
      rules.push({ [m[1]!.toLowerCase()]: m[2]!.trim() });
    }
    patch.blocked = rules.length === 0 ? null : rules;
  }
  if (form.groups !== undefined) {
    const groups: Record<string, { reserved?: number; max?: number }> = {};
    for (const line of form.groups.split(/\r?\n/).map((l) => l.trim()).filter(Boolean)) {
      const [name, ...parts] = line.split(",").map((x) => x.trim());
      const g: { reserved?: number; max?: number } = {};
      for (const part of parts) {
        const m = /^(reserved|max)\s+(\d{1,7})$/i.exec(part);
        if (!m) return `Groups: write each line as "Name, reserved N, max N"; "${part.slice(0, 40)}" is not.`;
        g[m[1]!.toLowerCase() as "reserved" | "max"] = Number(m[2]);
      }
      groups[name!] = g;
    }
    patch.groups = Object.keys(groups).length === 0 ? null : groups;
  }
  return undefined;
}

// ---- cookies ----------------------------------------------------------------

const cookieBase = { httpOnly: true, secure: true, sameSite: "Strict", path: "/" } as const;

async function signInAs(c: C, who: NewSession, via: string): Promise<void> {
  const { cookie, session } = await beginSession(c.env, who, via, c.req.header("user-agent"));
  setCookie(c, SESSION_COOKIE, cookie, { ...cookieBase, maxAge: COOKIE_SECONDS });
  c.set("session", session);
}

function clearCookie(c: C, name: string): void {
  setCookie(c, name, "", { ...cookieBase, maxAge: 0 });
}

async function takeFlash(c: C, session: DashboardSession): Promise<Flash | undefined> {
  const sealed = getCookie(c, FLASH_COOKIE);
  if (!sealed) return undefined;
  clearCookie(c, FLASH_COOKIE);
  return openFlash(c.env, session, sealed);
}

async function redirectWithFlash(c: C, to: string, flash: Flash): Promise<Response> {
  setCookie(c, FLASH_COOKIE, await sealFlash(c.env, c.var.session!, flash), { ...cookieBase, maxAge: 120 });
  return c.redirect(to, 303);
}

// ---- who is signed in --------------------------------------------------------

function actorOf(s: DashboardSession): Actor {
  if (s.role === "admin") return s.keyHash !== null ? { role: "admin", keyHash: s.keyHash } : { role: "admin", ssoEmail: s.ssoEmail ?? "" };
  return s.staff ? { role: "vendor", staff: s.staff } : { role: "vendor" };
}

/** The pool named in the path, if this session may open it; otherwise the page that says why not. */
async function poolAccess(c: C): Promise<{ poolId: string; actor: Actor; session: DashboardSession } | Response> {
  const session = c.var.session!;
  const poolId = parsePoolId(c.req.param("poolId") ?? "");
  if (!poolId) return c.html(<ErrorPage title="No such pool" message="There is no pool with this id." session={session} />, 404);
  if (session.role === "admin" && poolId !== session.poolId) {
    return c.html(
      <ErrorPage
        title="Not your pool"
        session={session}
        message="This admin key manages one pool only, and it is not this one. To manage another pool, sign out and sign in with that pool's admin key."
        back={{ href: poolPath(session.poolId), label: "Back to your pool" }}
      />,
      403,
    );
  }
  return { poolId, actor: actorOf(session), session };
}

/** A pool object's refusal of a page load. */
async function pageFailure(c: C, f: Failure): Promise<Response> {
  if (f.code === "unauthorized") {
    clearCookie(c, SESSION_COOKIE);
    return c.redirect("/admin?m=key-replaced", 303);
  }
  if (f.code === "not_found") return c.html(<ErrorPage title="No such pool" message={f.message} session={c.var.session} />, 404);
  return c.html(<ErrorPage title="Could not load the pool" message={f.message} session={c.var.session} />, errorStatus[f.code]);
}

/** A pool object's refusal of a form post: back to the page, saying why. */
async function actionFailure(c: C, f: Failure, back: string): Promise<Response> {
  if (f.code === "unauthorized") {
    clearCookie(c, SESSION_COOKIE);
    return c.redirect("/admin?m=key-replaced", 303);
  }
  // Until the pool object names what was missing, a not_found here is the pool's.
  if (f.code === "not_found" && f.resource !== "seat") {
    return c.html(<ErrorPage title="No such pool" message={f.message} session={c.var.session} />, 404);
  }
  return redirectWithFlash(c, back, { error: f.message });
}

async function formOf(c: C): Promise<Record<string, string>> {
  const body = await c.req.parseBody();
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) if (typeof v === "string") out[k] = v;
  return out;
}

/** A whole number from a form field, or a message naming the field. */
function wholeNumber(raw: string, field: string, min: number, max: number): number | string {
  const t = raw.trim();
  const n = /^\d{1,9}$/.test(t) ? Number(t) : NaN;
  return Number.isInteger(n) && n >= min && n <= max ? n : `${field}: enter a whole number from ${min.toLocaleString("en-GB")} to ${max.toLocaleString("en-GB")}.`;
}

function zodMessage(issues: { path: PropertyKey[]; message: string }[]): string {
  return issues.map((i) => `${fieldNames[String(i.path[0])] ?? String(i.path[0] ?? "Form")}: ${i.message.replace(/\.?$/, ".")}`).join(" ");
}

/** Pool settings from a form: only the fields the form carries; an emptied optional field clears the setting. */
function settingsFrom(form: Record<string, string>): { patch: Record<string, unknown> } | { error: string } {
  const patch: Record<string, unknown> = {};
  if (form.customer !== undefined) {
    if (form.customer.trim() === "") return { error: "Customer: enter the customer's name." };
    patch.customer = form.customer.trim();
  }
  if (form.seats !== undefined) {
    const n = wholeNumber(form.seats, "Seats", 0, 1_000_000);
    if (typeof n === "string") return { error: n };
    patch.seats = n;
  }
  if (form.minClientVersion !== undefined) patch.minClientVersion = form.minClientVersion.trim() === "" ? null : form.minClientVersion.trim();
  if (form.staleAfterHours !== undefined) {
    if (form.staleAfterHours.trim() === "") patch.staleAfterHours = null;
    else {
      const n = wholeNumber(form.staleAfterHours, "Hours without a heartbeat", 1, 24 * 365);
      if (typeof n === "string") return { error: n };
      patch.staleAfterHours = n;
    }
  }
  for (const [key, field] of [["maxSessionsPerSeat", "Most sessions per seat"], ["maxAddressesPerSeat", "Most network addresses per seat"]] as const) {
    if (form[key] === undefined) continue;
    const n = wholeNumber(form[key], field, 1, 100);
    if (typeof n === "string") return { error: n };
    patch[key] = n;
  }
  for (const [key, field, min, max] of [["maxBorrowDays", "Days a seat may be borrowed", 1, 90], ["maxBorrowedSeats", "Most seats borrowed at once", 0, 100_000]] as const) {
    if (form[key] === undefined) continue;
    if (form[key].trim() === "") {
      patch[key] = null;
      continue;
    }
    const n = wholeNumber(form[key], field, min, max);
    if (typeof n === "string") return { error: n };
    patch[key] = n;
  }
  if (form.retentionDays !== undefined) {
    const n = wholeNumber(form.retentionDays, "Days ended sessions and events are kept", 7, 400);
    if (typeof n === "string") return { error: n };
    patch.retentionDays = n;
  }
  if (form.refuseWidelySharedSeats !== undefined) {
    if (form.refuseWidelySharedSeats !== "yes" && form.refuseWidelySharedSeats !== "no") {
      return { error: "When a seat is used from more addresses: choose to only mark it or to refuse the start." };
    }
    patch.refuseWidelySharedSeats = form.refuseWidelySharedSeats === "yes";
  }
  const queueError = queueSettingsFrom(form, patch);
  if (queueError) return { error: queueError };
  const policyError = policyFrom(form, patch);
  if (policyError) return { error: policyError };
  return { patch };
}

/** The settings for waiting users (issue 11): idle reclaim and self-release. */
function queueSettingsFrom(form: Record<string, string>, patch: Record<string, unknown>): string | undefined {
  if (form.reclaimIdleMinutes !== undefined) {
    if (form.reclaimIdleMinutes.trim() === "") patch.reclaimIdleMinutes = null;
    else {
      const n = wholeNumber(form.reclaimIdleMinutes, fieldNames.reclaimIdleMinutes!, 1, 1440);
      if (typeof n === "string") return n;
      patch.reclaimIdleMinutes = n;
    }
  }
  if (form.reclaimGraceMinutes !== undefined) {
    const n = wholeNumber(form.reclaimGraceMinutes, fieldNames.reclaimGraceMinutes!, 0, 60);
    if (typeof n === "string") return n;
    patch.reclaimGraceMinutes = n;
  }
  if (form.selfRelease !== undefined) {
    if (form.selfRelease !== "yes" && form.selfRelease !== "no") return "Users freeing their own seat: choose allowed or not allowed.";
    patch.selfRelease = form.selfRelease === "yes";
  }
  return undefined;
}

/** A webhook from the add form: the URL and the ticked event types, each one the contract knows. */
async function webhookFrom(c: C): Promise<{ request: CreateWebhookRequest } | { error: string }> {
  const body = await c.req.parseBody({ all: true });
  const url = typeof body.url === "string" ? body.url.trim() : "";
  if (url === "") return { error: "URL to deliver to: enter the address your receiver listens on." };
  const ticked = ([] as unknown[]).concat(body.events ?? []).filter((e): e is string => typeof e === "string");
  if (ticked.length === 0) return { error: "Events to send: tick at least one." };
  const unknown = ticked.find((e) => !(webhookEventTypes as readonly string[]).includes(e));
  if (unknown !== undefined) return { error: `Events to send: “${isolate(unknown.slice(0, 40))}” is not an event type; choose from the list.` };
  const parsed = CreateWebhookRequest.safeParse({ url, events: [...new Set(ticked)] });
  if (!parsed.success) return { error: zodMessage(parsed.error.issues) };
  return { request: parsed.data };
}

/**
 * The seats view a page or a form names (search, cursor, page number). Anything malformed
 * is dropped rather than refused: it only chooses what to show.
 */
function seatsView(read: (name: string) => string | undefined): ops.SeatsView {
  const q = (read("q") ?? "").trim().slice(0, 256);
  const cursorRaw = read("cursor");
  const cursor = cursorRaw && cursorRaw.length <= 100 ? cursorRaw : undefined;
  const pageRaw = read("page");
  const page = cursor && pageRaw && /^\d{1,6}$/.test(pageRaw) && Number(pageRaw) >= 2 ? Number(pageRaw) : cursor ? 2 : 1;
  return { q, cursor, page };
}

const escapeAttribute = (v: string) => v.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");

/** A page, not a redirect: the Strict session cookie is sent on a navigation this site starts, not on the provider's redirect chain. */
function continuePage(c: C): Response {
  return c.html(
    `<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=/admin?signed-in"><title>Signed in · Seatkeeper</title></head><body><p><a href="/admin?signed-in">Continue to the dashboard</a></p></body></html>`,
  );
}

// ---- the app ----------------------------------------------------------------

export function createDashboard() {
  const dashboard = new Hono<DashboardEnv>();

  dashboard.onError((err, c) => {
    console.error("dashboard error", c.req.method, new URL(c.req.url).pathname, err instanceof Error ? err.stack : String(err));
    return c.html(
      <ErrorPage title="Something went wrong" message="Something went wrong on our side. Nothing was changed unless the page says so; try again." />,
      500,
    );
  });

  dashboard.use("*", async (c, next) => {
    await next();
    c.res.headers.set("Content-Security-Policy", DASHBOARD_CSP);
    c.res.headers.set("X-Frame-Options", "DENY");
    c.res.headers.set("Cross-Origin-Opener-Policy", "same-origin");
    if (!c.res.headers.has("Cache-Control")) c.res.headers.set("Cache-Control", "no-store");
  });

  // Pages link the assets with their digest (?v=), so a cached copy is never stale.
  const asset = (body: string, type: string) => (c: C) =>
    c.body(body, 200, { "Content-Type": type, "Cache-Control": "public, max-age=86400" });
  dashboard.get("/assets/dashboard.css", asset(DASHBOARD_CSS, "text/css; charset=utf-8"));
  dashboard.get("/assets/dashboard.js", asset(DASHBOARD_JS, "text/javascript; charset=utf-8"));
  dashboard.get("/assets/icon.svg", asset(DASHBOARD_ICON, "image/svg+xml"));

  // Cross-site posts are refused before anything else looks at them, sign-in included.
  dashboard.use("*", async (c, next) => {
    if (c.req.method === "GET" || c.req.method === "HEAD") return next();
    const reason = crossSiteReason(c.req.raw);
    if (reason) {
      return c.html(
        <ErrorPage
          title="Request refused"
          message={`This form was sent from another site (${reason}), so it was refused and nothing was changed. Use the dashboard's own pages.`}
        />,
        403,
      );
    }
    return next();
  });

  dashboard.use("*", async (c, next) => {
    const check = await loadSession(c.env, getCookie(c, SESSION_COOKIE));
    if (check.ok) c.set("session", check.session);
    else {
      c.set("sessionProblem", check.reason);
      if (check.reason !== "missing") clearCookie(c, SESSION_COOKIE);
    }
    return next();
  });

  dashboard.get("/", async (c) => {
    const session = c.var.session;
    if (!session) {
      const problem = c.var.sessionProblem;
      const m = c.req.query("signed-in") !== undefined ? "no-cookie" : problem && problem !== "missing" ? problem : c.req.query("m");
      const message = m && Object.hasOwn(signInMessages, m) ? signInMessages[m] : undefined;
      const isProblem = m === "expired" || m === "invalid" || m === "ended" || m === "key-replaced" || m === "no-cookie";
      return c.html(<SignInPage error={isProblem ? message : undefined} notice={isProblem ? undefined : message} withProvider={vendorOidc(c.env) !== null} />);
    }
    if (session.role === "admin") return c.redirect(poolPath(session.poolId), 303);
    if (c.req.query("signed-in") !== undefined) return c.redirect("/admin", 303);
    const afterRaw = c.req.query("after");
    const after = afterRaw ? (parsePoolId(afterRaw) ?? undefined) : undefined;
    const page = await ops.listPools(c.env, 50, after);
    const flash = await takeFlash(c, session);
    return c.html(<VendorPage session={session} pools={page.pools} next={page.next} after={after} flash={flash} />);
  });

  dashboard.post("/sign-in", async (c) => {
    const credential = ((await formOf(c)).credential ?? "").trim();
    if (!credential) return c.html(<SignInPage error="Enter your pool admin key or the vendor token." />, 400);
    if (credential.length <= 200) {
      const who = await verifyCredential(c.env, credential);
      if (who) {
        await signInAs(c, who, who.role === "admin" ? "admin key" : who.staff ? "staff token" : "vendor token");
        clearCookie(c, FLASH_COOKIE);
        return c.redirect("/admin?signed-in", 303);
      }
    }
    try {
      // The same per-address limit as the admin API.
      // a wrong admin key goes into its pool's audit log, as on the admin API, while the address is within the limit
      const adminKey = parseAdminKey(credential);
      return await failedAuthentication(
        c.env, c.req.raw, "unauthorized",
        "That admin key or vendor token is not valid. Check it and try again; letter case and dashes do not matter in an admin key.",
        adminKey ? ops.auditCredentialFailure(c.env, adminKey.poolId, "bad_admin_key") : undefined,
      );
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      return c.html(<SignInPage error={e.message} />, errorStatus[e.code], e.headers);
    }
  });

  // Sign-in with the vendor's identity provider (OpenID Connect, code flow with PKCE).
  dashboard.get("/oidc/start", async (c) => {
    // ?pool=<pool id>: a pool's admins, through the provider set on their pool
    const poolRaw = c.req.query("pool")?.trim();
    const poolId = poolRaw ? parsePoolId(poolRaw) : null;
    if (poolRaw && !poolId) return c.html(<SignInPage error="That is not a pool id. It is 16 characters starting with G, on your pool's page or from your vendor." withProvider={vendorOidc(c.env) !== null} />, 400);
    const client = poolId ? await ops.poolOidc(c.env, poolId) : vendorOidc(c.env);
    if (!client) return c.html(<ErrorPage title="Not set up" message="Sign-in with an identity provider is not set up for this service. Sign in with your token." back={{ href: "/admin", label: "Sign in" }} />, 404);
    let started: { url: string; state: string };
    try {
      started = await authorizationUrl(c.env, client, new URL(c.req.url).origin, poolId);
    } catch (e) {
      console.error("identity provider unreachable", e instanceof Error ? e.message : String(e));
      return c.html(<SignInPage error={`The identity provider could not be reached (${e instanceof Error ? e.message : "unknown"}), so sign-in with it is not possible now. Sign in with your token.`} withProvider />, 502);
    }
    const { url, state } = started;
    // Lax, not Strict: the provider's redirect back is a cross-site navigation that must carry it
    setCookie(c, OIDC_STATE_COOKIE, state, { httpOnly: true, secure: true, sameSite: "Lax", path: "/", maxAge: 600 });
    // A page that moves on, not a redirect: the pool's form is bound by the CSP's form-action, which a redirect to the provider would break.
    return c.html(
      `<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${escapeAttribute(url)}"><title>Signing in · Seatkeeper</title></head><body><p><a href="${escapeAttribute(url)}">Continue to your organisation's sign-in</a></p></body></html>`,
    );
  });

  dashboard.get("/oidc/callback", async (c) => {
    const refuse = (why: string, status: 400 | 401 | 403) =>
      c.html(<SignInPage error={`Sign-in with your organisation's account failed: ${why}. Try again, or sign in with your token or key.`} withProvider={vendorOidc(c.env) !== null} />, status);
    const cookieState = getCookie(c, OIDC_STATE_COOKIE);
    setCookie(c, OIDC_STATE_COOKIE, "", { httpOnly: true, secure: true, sameSite: "Lax", path: "/", maxAge: 0 });
    const query = new URL(c.req.url).searchParams;
    const taken = await takePending(c.env, query, cookieState);
    if (!taken.ok) return refuse(taken.why, 400);
    const poolId = taken.pending.poolId;
    const client = poolId ? await ops.poolOidc(c.env, poolId) : vendorOidc(c.env);
    if (!client) return refuse("it is not set up for this service or pool", 400);
    const result = await completeSignIn(c.env, client, new URL(c.req.url).origin, query, taken.pending);
    if (!result.ok) return refuse(result.why, 400);
    if (poolId) {
      const domain = result.email.trim().toLowerCase().split("@").pop() ?? "";
      const allowed = client.allowedDomains ?? [];
      if (!allowed.includes(domain)) {
        return refuse(`${result.email} is not in a domain this pool allows (${allowed.join(", ")})`, 403);
      }
      await signInAs(c, { role: "admin", poolId, ssoEmail: result.email.trim() }, "identity provider");
      return continuePage(c);
    }
    const staff = await directoryStub(c.env).staffByEmail(result.email);
    if (!staff || staff.disabled) return refuse(`${result.email} is not on the vendor's staff, or is disabled`, 403);
    await signInAs(c, { role: "vendor", staff: { staffId: staff.staffId, email: staff.email, role: staff.role } }, "identity provider");
    return continuePage(c);
  });

  dashboard.post("/sign-out", async (c) => {
    // ended on the server, so a copy of the cookie taken before is refused from now on
    if (c.var.session) await endSession(c.env, c.var.session);
    clearCookie(c, SESSION_COOKIE);
    clearCookie(c, FLASH_COOKIE);
    return c.redirect("/admin?m=signed-out", 303);
  });

  // Everything below needs a session, and every post must carry the session's token.
  dashboard.use("*", async (c, next) => {
    if (c.var.session) return next();
    const problem = c.var.sessionProblem ?? "missing";
    if (c.req.method === "GET" || c.req.method === "HEAD") return c.redirect(`/admin?m=${problem === "missing" ? "sign-in" : problem}`, 303);
    return c.html(
      <ErrorPage title="Signed out" message={`${signInMessages[problem === "missing" ? "sign-in" : problem]} Nothing was changed.`} back={{ href: "/admin", label: "Sign in" }} />,
      401,
    );
  });
  dashboard.use("*", async (c, next) => {
    if (c.req.method === "GET" || c.req.method === "HEAD") return next();
    const token = (await formOf(c))._csrf;
    if (token === undefined || !digestsEqual(token, c.var.session!.csrf)) {
      return c.html(
        <ErrorPage
          title="Form expired"
          session={c.var.session}
          message="This form did not come from your current session (it may be from before you last signed in), so nothing was changed. Reload the page and try again."
        />,
        403,
      );
    }
    return next();
  });

  dashboard.get("/pools/:poolId", async (c) => {
    const access = await poolAccess(c);
    if (access instanceof Response) return access;
    const range = c.req.query("range") === "30d" ? "30d" : "24h";
    const beforeRaw = c.req.query("before");
    const before = beforeRaw && /^\d{1,15}$/.test(beforeRaw) ? Number(beforeRaw) : undefined;
    const out = await ops.loadPoolPage(c.env, access.actor, access.poolId, range, before, seatsView((name) => c.req.query(name)));
    if (!out.ok) return pageFailure(c, out);
    const flash = await takeFlash(c, access.session);
    return c.html(<PoolPage session={access.session} data={out} flash={flash} now={Date.now()} olderView={before !== undefined} />);
  });

  dashboard.post("/pools", async (c) => {
    const session = c.var.session!;
    if (session.role !== "vendor") {
      return c.html(<ErrorPage title="Vendor only" session={session} message="Only the vendor's staff can create pools." />, 403);
    }
    const form = await formOf(c);
    const settings = settingsFrom({
      customer: form.customer ?? "",
      seats: form.seats ?? "",
      minClientVersion: form.minClientVersion ?? "",
      staleAfterHours: form.staleAfterHours ?? "",
    });
    if ("error" in settings) return redirectWithFlash(c, "/admin", { error: settings.error });
    const parsed = CreatePoolRequest.safeParse(settings.patch);
    if (!parsed.success) return redirectWithFlash(c, "/admin", { error: zodMessage(parsed.error.issues) });
    const p = parsed.data;
    const out = await ops.createPool(c.env, {
      ...p, minClientVersion: p.minClientVersion ?? null, staleAfterHours: p.staleAfterHours ?? null, locationHint: p.locationHint ?? null,
    }, actorOf(session));
    if (!out.ok) return redirectWithFlash(c, "/admin", { error: out.message });
    return redirectWithFlash(c, poolPath(out.pool.poolId), {
      notice: `Created the pool for ${isolate(out.pool.customer)} with ${out.pool.seats} seats.`,
      secretsTitle: "The new pool's serial number, product key and admin key",
      secrets: [
        { label: "Serial number", value: out.pool.serial },
        { label: "Product key", value: out.productKey },
        { label: "Admin key", value: out.adminKey },
      ],
      forClients: true,
    });
  });

  dashboard.post("/pools/:poolId/seats/:seatId/free", async (c) => {
    const access = await poolAccess(c);
    if (access instanceof Response) return access;
    const form = await formOf(c);
    // Back to the page of seats the admin freed it from.
    const view = seatsView((name) => form[name]);
    const back = poolPagePath(access.poolId, view, "24h", "#seat-list");
    const seatId = c.req.param("seatId");
    if (form.confirmed !== "yes") {
      // Without JavaScript the page asks first, naming the seat: that page, not the free, reads it.
      const found = await ops.getSeat(c.env, access.actor, access.poolId, seatId);
      if (!found.ok) {
        if (found.code === "not_found" && found.resource === "seat") return redirectWithFlash(c, back, { error: SEAT_GONE });
        return actionFailure(c, found, back);
      }
      return c.html(
        <ConfirmPage
          session={access.session}
          title="Free this seat?"
          message={<>Free the seat held by <Identity of={found.seat} />? The application there is told at its next heartbeat that an administrator freed its seat.</>}
          action={poolPath(access.poolId, `/seats/${encodeURIComponent(seatId)}/free`)}
          fields={seatsViewParams(view)}
          submitLabel="Free the seat"
          cancelHref={back}
        />,
      );
    }
    const out = await ops.freeSeat(c.env, access.actor, access.poolId, seatId);
    if (!out.ok) {
      if (out.code === "not_found" && out.resource !== "pool") return redirectWithFlash(c, back, { error: SEAT_GONE });
      return actionFailure(c, out, back);
    }
    const ended = out.sessionsEnded === 1 ? "its session has" : `its ${out.sessionsEnded} sessions have`;
    return redirectWithFlash(c, back, {
      notice: `Freed the seat of ${identity(out.holder)}; ${ended} ended. ${out.pool.inUse} of ${out.pool.seats} seats are now in use.`,
    });
  });

  dashboard.post("/pools/:poolId/queue/:ticketId/remove", async (c) => {
    const access = await poolAccess(c);
    if (access instanceof Response) return access;
    const form = await formOf(c);
    const back = poolPath(access.poolId) + "#waiting";
    const ticketId = c.req.param("ticketId");
    const gone = "That user is no longer waiting (they got a seat, left, or were removed already). Nothing was changed.";
    if (form.confirmed !== "yes") {
      // Without JavaScript the page asks first, naming the waiter.
      const queue = await ops.listQueue(c.env, access.actor, access.poolId);
      if (!queue.ok) return actionFailure(c, queue, back);
      const waiter = queue.waiting.find((w) => w.ticketId === ticketId);
      if (!waiter) return redirectWithFlash(c, back, { error: gone });
      return c.html(
        <ConfirmPage
          session={access.session}
          title="Remove from the queue?"
          message={<>Take <Identity of={waiter} /> out of the queue? They stop waiting for a seat, and the next in line moves up.</>}
          action={poolPath(access.poolId, `/queue/${encodeURIComponent(ticketId)}/remove`)}
          fields={{}}
          submitLabel="Remove from the queue"
          cancelHref={back}
        />,
      );
    }
    const out = await ops.removeFromQueue(c.env, access.actor, access.poolId, ticketId);
    if (!out.ok) {
      if (out.code === "not_found" && out.resource !== "pool") return redirectWithFlash(c, back, { error: gone });
      return actionFailure(c, out, back);
    }
    return redirectWithFlash(c, back, { notice: "Removed from the queue; the next in line moved up." });
  });

  dashboard.post("/pools/:poolId/credentials", async (c) => {
    const access = await poolAccess(c);
    if (access instanceof Response) return access;
    const back = poolPath(access.poolId);
    const form = await formOf(c);
    const choice = form.sessions;
    if (choice !== "carry-on" && choice !== "end-all") {
      return redirectWithFlash(c, back, { error: "Choose what happens to running sessions: they carry on, or they all end now. Nothing was changed." });
    }
    if (form.confirmed !== "yes") {
      return c.html(
        <ConfirmPage
          session={access.session}
          title="Revoke and reissue?"
          message={
            choice === "carry-on"
              ? "Revoke this serial number and product key and issue new ones? Running applications keep their seats; new starts need the new pair."
              : "Revoke this serial number and product key, issue new ones, and end every running session now?"
          }
          action={poolPath(access.poolId, "/credentials")}
          fields={{ sessions: choice }}
          submitLabel={choice === "carry-on" ? "Revoke and reissue" : "Revoke, reissue and end all sessions"}
          cancelHref={back}
        />,
      );
    }
    const out = await ops.rotateCredentials(c.env, access.actor, access.poolId, choice === "end-all");
    if (!out.ok) return actionFailure(c, out, back);
    return redirectWithFlash(c, back, {
      notice:
        choice === "carry-on"
          ? "The old serial number and product key are revoked. Running sessions carry on; new starts need the new pair."
          : `The old serial number and product key are revoked, and ${out.sessionsEnded === 1 ? "1 running session was" : `${out.sessionsEnded} running sessions were`} ended.`,
      secretsTitle: "New serial number and product key",
      secrets: [
        { label: "Serial number", value: out.serial },
        { label: "Product key", value: out.productKey },
      ],
      forClients: true,
    });
  });

  dashboard.post("/pools/:poolId/admin-key", async (c) => {
    const access = await poolAccess(c);
    if (access instanceof Response) return access;
    const back = poolPath(access.poolId);
    if ((await formOf(c)).confirmed !== "yes") {
      return c.html(
        <ConfirmPage
          session={access.session}
          title="Issue a new admin key?"
          message="Issue a new admin key? The current admin key stops working at once, and everyone signed in with it is signed out."
          action={poolPath(access.poolId, "/admin-key")}
          fields={{}}
          submitLabel="Issue a new admin key"
          cancelHref={back}
        />,
      );
    }
    const out = await ops.rotateAdminKey(c.env, access.actor, access.poolId);
    if (!out.ok) return actionFailure(c, out, back);
    // The pool admin who replaced the key stays signed in, now under the new key.
    if (access.session.role === "admin") {
      await directoryStub(c.env).rekeyDashboardSession(access.session.idHash, out.keyHash);
      c.set("session", { ...access.session, keyHash: out.keyHash });
    }
    return redirectWithFlash(c, back, {
      notice: "The previous admin key no longer works.",
      secretsTitle: "New admin key",
      secrets: [{ label: "Admin key", value: out.adminKey }],
    });
  });

  dashboard.post("/pools/:poolId/settings", async (c) => {
    const access = await poolAccess(c);
    if (access instanceof Response) return access;
    const form = await formOf(c);
    const back = form.back === "list" && access.session.role === "vendor" ? "/admin" : poolPath(access.poolId);
    const settings = settingsFrom(form);
    if ("error" in settings) return redirectWithFlash(c, back, { error: `${settings.error} Nothing was changed.` });
    const parsed = UpdatePoolRequest.safeParse(settings.patch);
    if (!parsed.success) return redirectWithFlash(c, back, { error: `${zodMessage(parsed.error.issues)} Nothing was changed.` });
    const out = await ops.updatePool(c.env, access.actor, access.poolId, parsed.data);
    // the policy's cross-field checks name each problem; say them rather than "see details"
    const issues = !out.ok && Array.isArray(out.details?.issues) ? (out.details.issues as { path: string; message: string }[]) : [];
    if (!out.ok && issues.length > 0) return redirectWithFlash(c, back, { error: `${zodMessage(issues.map((i) => ({ path: [i.path.split(".")[0]!], message: `${i.path} ${i.message}` })))} Nothing was changed.` });
    if (!out.ok) return actionFailure(c, out, back);
    const notice = Object.keys(parsed.data).length === 1 && parsed.data.seats !== undefined
      ? `${isolate(out.pool.customer)} now has ${out.pool.seats} seats.`
      : "Settings saved.";
    return redirectWithFlash(c, back, { notice });
  });

  // A person's own sessions: where they are signed in, and ending the others.
  dashboard.get("/sessions", async (c) => {
    const session = c.var.session!;
    const sessions = await directoryStub(c.env).listDashboardSessions(session.idHash);
    const flash = await takeFlash(c, session);
    return c.html(<SessionsPage session={session} sessions={sessions} flash={flash} />);
  });

  dashboard.post("/sessions/:handle/end", async (c) => {
    const session = c.var.session!;
    const handle = c.req.param("handle");
    if (handle === session.handle) return redirectWithFlash(c, "/admin/sessions", { error: "That is this session: use Sign out to end it." });
    const ended = await directoryStub(c.env).endOtherDashboardSession(session.idHash, handle);
    return redirectWithFlash(c, "/admin/sessions", ended ? { notice: "That session has ended; its browser is signed out." } : { error: "That session has ended already." });
  });

  // ---- the pool's data: export, erasure, deletion ----

  dashboard.get("/pools/:poolId/export", async (c) => {
    const access = await poolAccess(c);
    if (access instanceof Response) return access;
    const out = await ops.exportPool(c.env, access.actor, access.poolId);
    if (!out.ok) return pageFailure(c, out);
    return new Response(out.stream, {
      headers: {
        "content-type": "application/x-ndjson; charset=utf-8",
        "content-disposition": `attachment; filename="seatkeeper-${access.poolId}.ndjson"`,
        "cache-control": "no-store",
      },
    });
  });

  dashboard.post("/pools/:poolId/erasure", async (c) => {
    const access = await poolAccess(c);
    if (access instanceof Response) return access;
    const back = poolPath(access.poolId) + "#data";
    const form = await formOf(c);
    const machine = (form.machine ?? "").trim();
    const parsed = ErasureRequest.safeParse({ user: (form.user ?? "").trim(), ...(machine ? { machine } : {}) });
    if (!parsed.success) return redirectWithFlash(c, back, { error: `${zodMessage(parsed.error.issues)} Nothing was erased.` });
    const who = parsed.data;
    if (form.confirmed !== "yes") {
      return c.html(
        <ConfirmPage
          session={access.session}
          title="Erase this person's names?"
          message={<>Replace the names of <bdi>{who.user}</bdi>{who.machine ? <> on <bdi>{who.machine}</bdi></> : " on every machine"} with “erased” in this pool's ended seats and events? This cannot be undone. A seat they hold now is left alone.</>}
          action={poolPath(access.poolId, "/erasure")}
          fields={{ user: who.user, machine: who.machine ?? "" }}
          submitLabel="Erase the names"
          cancelHref={back}
        />,
      );
    }
    const out = await ops.erasePerson(c.env, access.actor, access.poolId, who);
    if (!out.ok) return actionFailure(c, out, back);
    return redirectWithFlash(c, back, {
      notice: `Erased the names from ${out.records === 1 ? "1 record" : `${out.records} records`} (${out.seats} ended seats, ${out.sessions} sessions, ${out.events} events, ${out.tickets} queue tickets, ${out.deliveries} webhook deliveries).`,
    });
  });

  dashboard.post("/pools/:poolId/delete", async (c) => {
    const access = await poolAccess(c);
    if (access instanceof Response) return access;
    const back = poolPath(access.poolId) + "#data";
    if (access.session.role !== "vendor") return redirectWithFlash(c, back, { error: "Only the vendor can delete a pool." });
    if ((await formOf(c)).confirmed !== "yes") {
      return c.html(
        <ConfirmPage
          session={access.session}
          title="Delete this pool?"
          message={<>Delete pool <code>{access.poolId}</code> and everything it holds? Its serial number stops working at once, and this cannot be undone. Export it first if you need its history.</>}
          action={poolPath(access.poolId, "/delete")}
          fields={{}}
          submitLabel="Delete the pool"
          cancelHref={back}
        />,
      );
    }
    const out = await ops.deletePool(c.env, access.actor, access.poolId);
    if (!out.ok) return actionFailure(c, out, back);
    return redirectWithFlash(c, "/admin", { notice: `Deleted pool ${out.poolId} and all it held.` });
  });

  // ---- webhooks (issue 14): a pool's, and the vendor's for every pool ----

  /** The pool's page of webhooks, its scope read with the pool (so a wrong key is refused, and logged, once). */
  async function poolWebhookScope(c: C): Promise<{ scope: WebhookScope; actor: Actor; session: DashboardSession; poolId: string } | Response> {
    const access = await poolAccess(c);
    if (access instanceof Response) return access;
    const got = await ops.getPool(c.env, access.actor, access.poolId);
    if (!got.ok) return pageFailure(c, got);
    const scope: WebhookScope = { kind: "pool", poolId: access.poolId, customer: got.pool.customer, alertThresholdPercent: got.pool.alertThresholdPercent };
    return { ...access, scope };
  }

  dashboard.get("/pools/:poolId/webhooks", async (c) => {
    const access = await poolWebhookScope(c);
    if (access instanceof Response) return access;
    const [list, vendorWide] = await Promise.all([ops.listWebhooks(c.env, access.actor, access.poolId), vendorWebhooksFor(c)]);
    if (!list.ok) return pageFailure(c, list);
    const flash = await takeFlash(c, access.session);
    return c.html(<WebhooksPage session={access.session} scope={access.scope} webhooks={list.webhooks} vendorWide={vendorWide} flash={flash} now={Date.now()} />);
  });

  dashboard.post("/pools/:poolId/webhooks", async (c) => {
    const access = await poolAccess(c);
    if (access instanceof Response) return access;
    const back = poolPath(access.poolId, "/webhooks");
    const form = await webhookFrom(c);
    if ("error" in form) return redirectWithFlash(c, back, { error: `${form.error} Nothing was added.` });
    const out = await ops.createWebhook(c.env, access.actor, access.poolId, form.request);
    if (!out.ok) return actionFailure(c, out.code === "invalid_request" ? { ...out, message: `${out.message} Nothing was added.` } : out, back);
    return redirectWithFlash(c, back, {
      notice: `Added the webhook to ${isolate(out.webhook.url)}: it sends ${out.webhook.events.join(", ")}.`,
      secretsTitle: "The webhook's signing secret",
      secrets: [{ label: "Signing secret", value: out.secret }],
    });
  });

  dashboard.post("/pools/:poolId/webhooks/:webhookId/remove", async (c) => {
    const access = await poolAccess(c);
    if (access instanceof Response) return access;
    const back = poolPath(access.poolId, "/webhooks");
    const webhookId = c.req.param("webhookId");
    if ((await formOf(c)).confirmed !== "yes") {
      const list = await ops.listWebhooks(c.env, access.actor, access.poolId);
      if (!list.ok) return actionFailure(c, list, back);
      const w = list.webhooks.find((x) => x.webhookId === webhookId);
      if (!w) return redirectWithFlash(c, back, { error: "That webhook was removed already." });
      return c.html(
        <ConfirmPage
          session={access.session}
          title="Remove this webhook?"
          message={<>Remove the webhook to <bdi>{w.url}</bdi>? Nothing more is sent to it, and deliveries still waiting for a retry are dropped.</>}
          action={poolPath(access.poolId, `/webhooks/${encodeURIComponent(webhookId)}/remove`)}
          fields={{}}
          submitLabel="Remove the webhook"
          cancelHref={back}
        />,
      );
    }
    const out = await ops.removeWebhook(c.env, access.actor, access.poolId, webhookId);
    // the pool object names no resource for a webhook it does not have; the pool itself was found by poolAccess's key check
    if (!out.ok && out.code === "not_found" && out.resource === undefined) return redirectWithFlash(c, back, { error: "That webhook was removed already." });
    if (!out.ok) return actionFailure(c, out, back);
    return redirectWithFlash(c, back, { notice: "Removed the webhook; nothing more is sent to it." });
  });

  dashboard.get("/pools/:poolId/webhooks/:webhookId", async (c) => {
    const access = await poolWebhookScope(c);
    if (access instanceof Response) return access;
    const webhookId = c.req.param("webhookId");
    const [list, vendorWide, log] = await Promise.all([
      ops.listWebhooks(c.env, access.actor, access.poolId),
      vendorWebhooksFor(c),
      ops.webhookDeliveries(c.env, access.actor, access.poolId, webhookId),
    ]);
    if (!list.ok) return pageFailure(c, list);
    if (!log.ok && log.code !== "not_found") return pageFailure(c, log);
    const own = list.webhooks.find((w) => w.webhookId === webhookId);
    const webhook = own ?? vendorWide.find((w) => w.webhookId === webhookId);
    if (!webhook || !log.ok) {
      return c.html(<ErrorPage title="No such webhook" message="This pool has no webhook with this id: it may have been removed." session={access.session} back={{ href: webhooksPath(access.scope), label: "Back to the webhooks" }} />, 404);
    }
    return c.html(<DeliveriesPage session={access.session} scope={access.scope} webhook={webhook} deliveries={log.deliveries} now={Date.now()} vendorWide={!own} />);
  });

  /** The vendor-wide webhooks, for a vendor session whose role may read them; none for anyone else. */
  async function vendorWebhooksFor(c: C) {
    const session = c.var.session!;
    if (session.role !== "vendor") return [];
    const out = await ops.listVendorWebhooks(c.env, actorOf(session));
    return out.ok ? out.webhooks : [];
  }

  /** The vendor's own pages: a pool admin is sent to their pool's. */
  async function vendorOnly(c: C): Promise<Response | undefined> {
    const session = c.var.session!;
    if (session.role === "vendor") return undefined;
    return c.html(<ErrorPage title="Vendor only" session={session} message="Only the vendor's staff have webhooks for every pool. Your pool's webhooks are on its page." back={{ href: poolPath(session.poolId, "/webhooks"), label: "Your pool's webhooks" }} />, 403);
  }

  dashboard.get("/webhooks", async (c) => {
    const refused = await vendorOnly(c);
    if (refused) return refused;
    const session = c.var.session!;
    const list = await ops.listVendorWebhooks(c.env, actorOf(session));
    if (!list.ok) return c.html(<ErrorPage title="Not allowed" session={session} message={list.message} />, errorStatus[list.code]);
    const flash = await takeFlash(c, session);
    // only what the form shows: the operations check the role matrix themselves
    const canChange = refusedRole(actorOf(session), "manage_vendor_webhooks") === undefined;
    return c.html(<WebhooksPage session={session} scope={{ kind: "vendor" }} webhooks={list.webhooks} flash={flash} now={Date.now()} canChange={canChange} />);
  });

  dashboard.post("/webhooks", async (c) => {
    const refused = await vendorOnly(c);
    if (refused) return refused;
    const back = "/admin/webhooks";
    const form = await webhookFrom(c);
    if ("error" in form) return redirectWithFlash(c, back, { error: `${form.error} Nothing was added.` });
    const out = await ops.createVendorWebhook(c.env, actorOf(c.var.session!), form.request);
    if (!out.ok) return redirectWithFlash(c, back, { error: `${out.message} Nothing was added.` });
    return redirectWithFlash(c, back, {
      notice: `Added the webhook to ${isolate(out.webhook.url)} for every pool: it sends ${out.webhook.events.join(", ")}.`,
      secretsTitle: "The webhook's signing secret",
      secrets: [{ label: "Signing secret", value: out.secret }],
    });
  });

  dashboard.post("/webhooks/:webhookId/remove", async (c) => {
    const refused = await vendorOnly(c);
    if (refused) return refused;
    const back = "/admin/webhooks";
    const session = c.var.session!;
    const actor = actorOf(session);
    const webhookId = c.req.param("webhookId");
    if ((await formOf(c)).confirmed !== "yes") {
      const list = await ops.listVendorWebhooks(c.env, actor);
      if (!list.ok) return redirectWithFlash(c, back, { error: `${list.message} Nothing was removed.` });
      const w = list.webhooks.find((x) => x.webhookId === webhookId);
      if (!w) return redirectWithFlash(c, back, { error: "That webhook was removed already." });
      return c.html(
        <ConfirmPage
          session={session}
          title="Remove this webhook?"
          message={<>Remove the webhook to <bdi>{w.url}</bdi> for every pool? Nothing more is sent to it, and deliveries still waiting for a retry are dropped.</>}
          action={`/admin/webhooks/${encodeURIComponent(webhookId)}/remove`}
          fields={{}}
          submitLabel="Remove the webhook"
          cancelHref={back}
        />,
      );
    }
    const out = await ops.removeVendorWebhook(c.env, actor, webhookId);
    if (!out.ok) return redirectWithFlash(c, back, { error: out.code === "not_found" ? "That webhook was removed already." : `${out.message} Nothing was removed.` });
    return redirectWithFlash(c, back, { notice: "Removed the webhook; no pool sends anything more to it." });
  });

  dashboard.all("*", (c) => {
    if (new URL(c.req.url).pathname === "/admin/") return c.redirect("/admin", 301);
    return c.html(<ErrorPage title="Page not found" message="There is no dashboard page at this address." session={c.var.session} />, 404);
  });

  return dashboard;
}
