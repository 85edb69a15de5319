/**
 * The dashboard's sign-in session and its one-shot "flash" messages.
 *
 * The session is an HS256 JWT in an HttpOnly, Secure, SameSite=Strict `__Host-` cookie.
 * It never holds the credential itself: a pool admin's session holds the pool id and the
 * SHA-256 of the admin key (what the pool object compares), a vendor's only its role.
 * The MAC key is derived with HKDF from SIGNING_KEY, salted with the vendor token, so
 * changing either secret signs every dashboard user out; rotating a pool's admin key
 * ends that pool's sessions, because the pool object no longer accepts the old hash.
 *
 * The flash carries the outcome of a form post across its redirect, including secrets
 * shown once (a new product key): so it is encrypted (A256GCM, its own HKDF key), lives
 * two minutes, and opens only in the session that made it.
 */
import { EncryptJWT, SignJWT, errors as joseErrors, jwtDecrypt, jwtVerify } from "jose";
import type { Env } from "../env.js";

export const SESSION_COOKIE = "__Host-seatkeeper-session";
export const FLASH_COOKIE = "__Host-seatkeeper-flash";
/** A session lapses after this long without a page load… */
export const IDLE_SECONDS = 30 * 60;
/** …and after this long in all, however busy. */
export const MAX_SECONDS = 8 * 60 * 60;
/** A page load re-signs the session once it is this old, sliding the idle window. */
const RENEW_AFTER_SECONDS = 5 * 60;
const FLASH_SECONDS = 120;

const ISSUER = "seatkeeper-dashboard";
const SESSION_AUDIENCE = "dashboard-session";
const FLASH_AUDIENCE = "dashboard-flash";

export type SessionSecrets = Pick<Env, "SIGNING_KEY" | "ADMIN_TOKEN">;

interface SessionBase {
  /** Per-session anti-forgery token, echoed by every form. */
  csrf: string;
  /** Sign-in time, seconds. */
  auth: number;
  /** Issue and expiry of this copy, seconds. */
  iat: number;
  exp: number;
}
export type VendorSession = SessionBase & { role: "vendor" };
export type AdminSession = SessionBase & { role: "admin"; poolId: string; keyHash: string };
export type DashboardSession = VendorSession | AdminSession;

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
  mac: CryptoKey;
  enc: CryptoKey;
}
let cached: { config: string; keys: Promise<Keys> } | undefined;
const encoder = new TextEncoder();

async function deriveKeys(env: SessionSecrets): Promise<Keys> {
  const ikm = await crypto.subtle.importKey("raw", encoder.encode(env.SIGNING_KEY), "HKDF", false, ["deriveKey"]);
  const params = (info: string) => ({ name: "HKDF", hash: "SHA-256", salt: encoder.encode(env.ADMIN_TOKEN), info: encoder.encode(info) });
  const [mac, enc] = await Promise.all([
    crypto.subtle.deriveKey(params("seatkeeper dashboard session mac v1"), ikm, { name: "HMAC", hash: "SHA-256", length: 256 }, false, ["sign", "verify"]),
    crypto.subtle.deriveKey(params("seatkeeper dashboard flash enc v1"), ikm, { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]),
  ]);
  return { mac, enc };
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

export type NewSession = { role: "vendor" } | { role: "admin"; poolId: string; keyHash: string };

/** A fresh session: new anti-forgery token, the clock starts now. */
export function startSession(who: NewSession, nowMs = Date.now()): DashboardSession {
  const now = seconds(nowMs);
  return { ...who, csrf: randomToken(), auth: now, iat: now, exp: now + IDLE_SECONDS } as DashboardSession;
}

/** The same session, re-issued now with the idle window slid forward (never past the absolute limit). */
export function renewSession(s: DashboardSession, nowMs = Date.now()): DashboardSession {
  const now = seconds(nowMs);
  return { ...s, iat: now, exp: Math.min(now + IDLE_SECONDS, s.auth + MAX_SECONDS) };
}

export function needsRenewal(s: DashboardSession, nowMs = Date.now()): boolean {
  return seconds(nowMs) - s.iat >= RENEW_AFTER_SECONDS && s.exp < s.auth + MAX_SECONDS;
}

export async function signSession(env: SessionSecrets, s: DashboardSession): Promise<string> {
  const claims: Record<string, unknown> = { role: s.role, csrf: s.csrf, auth: s.auth };
  if (s.role === "admin") Object.assign(claims, { pool: s.poolId, kh: s.keyHash });
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer(ISSUER)
    .setAudience(SESSION_AUDIENCE)
    .setIssuedAt(s.iat)
    .setExpirationTime(s.exp)
    .sign((await keys(env)).mac);
}

export type SessionCheck = { ok: true; session: DashboardSession } | { ok: false; reason: "missing" | "expired" | "invalid" };

const isString = (v: unknown): v is string => typeof v === "string" && v.length > 0;

/** The session in a cookie value, if genuine, current and well-formed. */
export async function verifySession(env: SessionSecrets, token: string | undefined, nowMs = Date.now()): Promise<SessionCheck> {
  if (!token) return { ok: false, reason: "missing" };
  try {
    const { payload: p } = await jwtVerify(token, (await keys(env)).mac, {
      issuer: ISSUER,
      audience: SESSION_AUDIENCE,
      algorithms: ["HS256"],
      requiredClaims: ["iat", "exp"],
      currentDate: new Date(nowMs),
    });
    const base = { csrf: p.csrf, auth: p.auth, iat: p.iat!, exp: p.exp! };
    if (!isString(base.csrf) || typeof base.auth !== "number" || seconds(nowMs) > base.auth + MAX_SECONDS) {
      return { ok: false, reason: typeof base.auth === "number" ? "expired" : "invalid" };
    }
    if (p.role === "vendor") return { ok: true, session: { role: "vendor", ...(base as SessionBase) } };
    if (p.role === "admin" && isString(p.pool) && isString(p.kh)) {
      return { ok: true, session: { role: "admin", poolId: p.pool, keyHash: p.kh, ...(base as SessionBase) } };
    }
    return { ok: false, reason: "invalid" };
  } catch (e) {
    return { ok: false, reason: e instanceof joseErrors.JWTExpired ? "expired" : "invalid" };
  }
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
