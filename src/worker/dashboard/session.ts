/**
 * The dashboard's sign-in session and its one-shot "flash" messages.
 *
 * The session is kept on the server, in the directory object: the HttpOnly, Secure,
 * SameSite=Strict `__Host-` cookie holds only a random id, and the directory only its
 * SHA-256. Signing out deletes the row, so every copy of the cookie stops working with it;
 * disabling a staff member or removing a pool admin deletes theirs. A pool admin's session
 * holds the hash of the key they signed in with (what the pool object compares), so a
 * replaced or removed key ends it too. A session lapses after 30 minutes idle, 8 hours in all.
 *
 * The flash carries the outcome of a form post across its redirect, including secrets
 * shown once (a new product key): so it is encrypted (A256GCM, an HKDF key from
 * SIGNING_KEY salted with the vendor token), lives two minutes, and opens only in the
 * session that made it.
 */
import { EncryptJWT, jwtDecrypt } from "jose";
import { MAX_MS } from "../../../durable-objects/dashboard-sessions.js";
import type { StaffActor } from "../../../durable-objects/outcome.js";
import { sha256Hex } from "../credentials.js";
import type { Env } from "../env.js";
import { directoryStub } from "../pool-stub.js";

export const SESSION_COOKIE = "__Host-seatkeeper-session";
export const FLASH_COOKIE = "__Host-seatkeeper-flash";
/** The cookie lives as long as a session can; the server decides sooner. */
export const COOKIE_SECONDS = MAX_MS / 1000;
const FLASH_SECONDS = 120;

const ISSUER = "seatkeeper-dashboard";
const FLASH_AUDIENCE = "dashboard-flash";

export type SessionSecrets = Pick<Env, "SIGNING_KEY" | "ADMIN_TOKEN">;

interface SessionBase {
  /** Per-session anti-forgery token, echoed by every form. */
  csrf: string;
  /** The SHA-256 of the cookie's id: the directory's key for this session. */
  idHash: string;
  /** Names this session in its owner's list without revealing the id. */
  handle: string;
}
export type VendorSession = SessionBase & { role: "vendor"; staff?: StaffActor };
/** A pool admin, signed in with their key (its hash) or through the pool's identity provider (their e-mail address). */
export type AdminSession = SessionBase & { role: "admin"; poolId: string; keyHash: string | null; ssoEmail: string | null; adminId: string | null };
export type DashboardSession = VendorSession | AdminSession;

/** Who signs in, as the credential check found them. */
export type NewSession =
  | { role: "vendor"; staff?: StaffActor }
  | { role: "admin"; poolId: string; keyHash: string; adminId: string | null }
  | { role: "admin"; poolId: string; ssoEmail: string };

export interface ShownOnce {
  label: string;
  value: string;
}
export interface Flash {
  notice?: string;
  error?: string;
  /** Secrets to show once, on the page the post redirects to. */
  secrets?: ShownOnce[];
  /** What the secrets are, e.g. "New serial number and product key". */
  secretsTitle?: string;
  /** The secrets are a serial and product key (shows the Group Policy note). */
  forClients?: boolean;
}

interface Keys {
  enc: CryptoKey;
}
let cached: { config: string; keys: Promise<Keys> } | undefined;
const encoder = new TextEncoder();

async function deriveKeys(env: SessionSecrets): Promise<Keys> {
  const ikm = await crypto.subtle.importKey("raw", encoder.encode(env.SIGNING_KEY), "HKDF", false, ["deriveKey"]);
  const params = (info: string) => ({ name: "HKDF", hash: "SHA-256", salt: encoder.encode(env.ADMIN_TOKEN), info: encoder.encode(info) });
  const enc = await crypto.subtle.deriveKey(params("seatkeeper dashboard flash enc v1"), ikm, { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
  return { enc };
}

/** Derived once per isolate and secret pair, not per request. */
function keys(env: SessionSecrets): Promise<Keys> {
  const config = `${env.SIGNING_KEY}\n${env.ADMIN_TOKEN}`;
  if (!cached || cached.config !== config) {
    const entry = { config, keys: deriveKeys(env) };
    entry.keys.catch(() => {
      if (cached === entry) cached = undefined;
    });
    cached = entry;
  }
  return cached.keys;
}

export function randomToken(bytes = 18): string {
  const raw = crypto.getRandomValues(new Uint8Array(bytes));
  return btoa(String.fromCharCode(...raw)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

const seconds = (ms: number) => Math.floor(ms / 1000);

/** A cookie's id is 32 random bytes, base64url. */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

/** Starts a session on the server and answers the cookie's value (the only copy of the id). */
export async function beginSession(env: Env, who: NewSession, via: string, userAgent: string | undefined): Promise<{ cookie: string; session: DashboardSession }> {
  const id = randomToken(32);
  const idHash = await sha256Hex(id);
  const csrf = randomToken();
  const stored = await directoryStub(env).startDashboardSession({
    idHash, csrf, via, ...(userAgent ? { userAgent: userAgent.slice(0, 300) } : {}),
    ...(who.role === "vendor"
      ? who.staff ? { kind: "staff", staffId: who.staff.staffId } : { kind: "vendor" }
      : "ssoEmail" in who
        ? { kind: "admin", poolId: who.poolId, ssoEmail: who.ssoEmail }
        : { kind: "admin", poolId: who.poolId, adminKeyHash: who.keyHash, ...(who.adminId ? { adminId: who.adminId } : {}) }),
  });
  const base = { csrf, idHash, handle: stored.handle };
  if (who.role === "vendor") return { cookie: id, session: { ...base, ...who } };
  const session: AdminSession = "ssoEmail" in who
    ? { ...base, role: "admin", poolId: who.poolId, keyHash: null, ssoEmail: who.ssoEmail, adminId: null }
    : { ...base, role: "admin", poolId: who.poolId, keyHash: who.keyHash, ssoEmail: null, adminId: who.adminId };
  return { cookie: id, session };
}

export type SessionCheck = { ok: true; session: DashboardSession } | { ok: false; reason: "missing" | "expired" | "invalid" | "ended" };

/** The session a cookie names, if the server still holds it; a staff member's role is read afresh. */
export async function loadSession(env: Env, cookie: string | undefined): Promise<SessionCheck> {
  if (!cookie) return { ok: false, reason: "missing" };
  if (!SESSION_ID.test(cookie)) return { ok: false, reason: "invalid" };
  const idHash = await sha256Hex(cookie);
  const opened = await directoryStub(env).openDashboardSession(idHash);
  if (!opened.ok) return { ok: false, reason: opened.reason === "expired" ? "expired" : "ended" };
  const s = opened.session;
  const base = { csrf: s.csrf, idHash, handle: s.handle };
  if (s.kind === "admin" && s.poolId && (s.adminKeyHash || s.ssoEmail)) {
    return { ok: true, session: { ...base, role: "admin", poolId: s.poolId, keyHash: s.adminKeyHash, ssoEmail: s.ssoEmail, adminId: s.adminId } };
  }
  if (s.kind === "staff" && opened.staff) {
    const { staffId, email, role } = opened.staff;
    return { ok: true, session: { ...base, role: "vendor", staff: { staffId, email, role } } };
  }
  if (s.kind === "vendor") return { ok: true, session: { ...base, role: "vendor" } };
  return { ok: false, reason: "invalid" };
}

/** Signing out: the session ends on the server, for every copy of its cookie. */
export async function endSession(env: Env, session: DashboardSession): Promise<void> {
  await directoryStub(env).endDashboardSession(session.idHash);
}

/** Encrypts a flash for the session identified by its anti-forgery token. */
export async function sealFlash(env: SessionSecrets, session: DashboardSession, flash: Flash, nowMs = Date.now()): Promise<string> {
  const now = seconds(nowMs);
  return new EncryptJWT({ flash, sid: session.csrf })
    .setProtectedHeader({ alg: "dir", enc: "A256GCM" })
    .setIssuer(ISSUER)
    .setAudience(FLASH_AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(now + FLASH_SECONDS)
    .encrypt((await keys(env)).enc);
}

/** The flash, if it was sealed for this session and is still fresh; anything else is ignored. */
export async function openFlash(env: SessionSecrets, session: DashboardSession, token: string | undefined, nowMs = Date.now()): Promise<Flash | undefined> {
  if (!token) return undefined;
  try {
    const { payload } = await jwtDecrypt(token, (await keys(env)).enc, {
      issuer: ISSUER,
      audience: FLASH_AUDIENCE,
      keyManagementAlgorithms: ["dir"],
      contentEncryptionAlgorithms: ["A256GCM"],
      currentDate: new Date(nowMs),
    });
    if (payload.sid !== session.csrf || typeof payload.flash !== "object" || payload.flash === null) return undefined;
    return payload.flash as Flash;
  } catch {
    return undefined;
  }
}
