/**
 * Session tokens: EdDSA (Ed25519) JWTs signed in the Worker once the pool object has
 * granted the seat. They carry no secret and are verifiable offline with the JWKS;
 * the pool object stays the truth about whether the session is still active.
 *
 * Signed and verified with WebCrypto directly: a checkout signs one token and a release
 * verifies one, so the keys are imported once per isolate and the constant header is
 * encoded once; what is left per token is one JSON encoding and one Ed25519 operation.
 * The output is a standard compact JWS (RFC 7515/7519) that jose or any JWT library verifies.
 */
import type { JWK } from "jose";
import { SessionTokenClaims, type LeaseClaims, type SignedSessionClaims } from "../contract/token.js";
import type { Env } from "./env.js";

interface VerifyKey {
  kid: string | undefined;
  key: CryptoKey;
}

interface KeyMaterial {
  kid: string;
  privateKey: CryptoKey;
  /** base64url of the protected header, the same for every token this key signs. */
  encodedHeader: string;
  /** The same for ticket tokens (`typ: "ticket"`), which no session route accepts. */
  encodedTicketHeader: string;
  verifyKeys: VerifyKey[];
  /** The current key alone, for tokens whose header is the one it writes. */
  currentKeys: VerifyKey[];
  publicJwks: { keys: JWK[] };
}

const ALG = "EdDSA";
const TICKET_TYP = "ticket";
const ED25519 = { name: "Ed25519" } as const;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

let cached: Promise<KeyMaterial> | undefined;
let cachedConfig = "";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const SEXTET = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) SEXTET[ALPHABET.charCodeAt(i)] = i;

/** base64url without padding (RFC 7515 §2), straight from the bytes. */
function base64url(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest > 0) {
    const n = (bytes[i]! << 16) | (rest === 2 ? bytes[i + 1]! << 8 : 0);
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + (rest === 2 ? ALPHABET[(n >> 6) & 63]! : "");
  }
  return out;
}

function encodeJson(value: unknown): string {
  return base64url(encoder.encode(JSON.stringify(value)));
}

/** The bytes of a base64url segment (no padding), or null when it is not one. */
function fromBase64url(segment: string): Uint8Array | null {
  if (segment.length % 4 === 1) return null;
  const bytes = new Uint8Array(Math.floor((segment.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let at = 0;
  for (let i = 0; i < segment.length; i++) {
    const code = segment.charCodeAt(i);
    const v = code < 128 ? SEXTET[code]! : -1;
    if (v < 0) return null;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes[at++] = (acc >> bits) & 0xff;
    }
  }
  // only the canonical encoding: the bits past the last byte must be zero (RFC 4648 §3.5), so a signature has one spelling
  if ((acc & ((1 << bits) - 1)) !== 0) return null;
  return bytes;
}

function decodeJson(segment: string): Record<string, unknown> | null {
  const bytes = fromBase64url(segment);
  if (!bytes) return null;
  try {
    const value: unknown = JSON.parse(decoder.decode(bytes));
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function publicPart(jwk: JWK): JWK {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, key_ops: _ops, ...pub } = jwk;
  return { ...pub, use: "sig", alg: ALG };
}

function isEd25519(jwk: JWK): boolean {
  return jwk.kty === "OKP" && jwk.crv === "Ed25519" && typeof jwk.x === "string";
}

async function load(env: Env): Promise<KeyMaterial> {
  const privateJwk = JSON.parse(env.SIGNING_KEY) as JWK;
  if (!isEd25519(privateJwk) || !privateJwk.d || !privateJwk.kid) {
    throw new Error("SIGNING_KEY must be an Ed25519 private JWK with a kid");
  }
  const previous = env.PREVIOUS_PUBLIC_KEYS ? (JSON.parse(env.PREVIOUS_PUBLIC_KEYS) as JWK[]) : [];
  const published = [publicPart(privateJwk), ...previous.map(publicPart)];
  const { kid, kty, crv, x, d } = privateJwk;
  const privateKey = await crypto.subtle.importKey("jwk", { kty, crv, x, d } as JsonWebKey, ED25519, false, ["sign"]);
  // Only Ed25519 keys can verify an EdDSA token; any other published key is ignored here.
  const verifyKeys = await Promise.all(
    published.filter(isEd25519).map(async (jwk): Promise<VerifyKey> => ({
      kid: jwk.kid,
      key: await crypto.subtle.importKey("jwk", { kty: jwk.kty, crv: jwk.crv, x: jwk.x } as JsonWebKey, ED25519, false, ["verify"]),
    })),
  );
  return {
    kid,
    privateKey,
    encodedHeader: encodeJson({ alg: ALG, kid, typ: "JWT" }),
    encodedTicketHeader: encodeJson({ alg: ALG, kid, typ: TICKET_TYP }),
    verifyKeys,
    currentKeys: verifyKeys.slice(0, 1),
    publicJwks: { keys: published },
  };
}

/** Keys are imported once per isolate, not per request. */
function material(env: Env): Promise<KeyMaterial> {
  const config = env.SIGNING_KEY + "\n" + (env.PREVIOUS_PUBLIC_KEYS ?? "");
  if (!cached || cachedConfig !== config) {
    cachedConfig = config;
    cached = load(env);
    cached.catch(() => (cached = undefined));
  }
  return cached;
}

export function issuer(env: Env): string {
  return env.TOKEN_ISSUER ?? "seatkeeper";
}

export async function signSessionToken(env: Env, claims: SignedSessionClaims): Promise<string> {
  return sign(env, claims);
}

/** The token of a granted seat (a checkout's, or a ticket's grant, polled or pushed): the one mapping of a grant to its claims. */
export async function signGrantToken(
  env: Env, g: { sessionId: string; seatId: string; user: string; machine: string; terminalSession: string | null; pool: { poolId: string } },
): Promise<string> {
  return signSessionToken(env, {
    sub: g.sessionId, pool: g.pool.poolId, seat: g.seatId, user: g.user, machine: g.machine,
    ...(g.terminalSession === null ? {} : { tsn: g.terminalSession }),
  });
}

/** A lease: signed like a session token, its `typ` claim `lease`, valid from `nbf` to `exp`. */
export async function signLease(env: Env, claims: Omit<LeaseClaims, "iss" | "iat" | "typ">): Promise<string> {
  return sign(env, { typ: "lease", ...claims });
}

async function sign(env: Env, claims: { sub: string } & Record<string, unknown>): Promise<string> {
  const km = await material(env);
  const { sub, ...rest } = claims;
  const payload = { ...rest, iss: issuer(env), sub, iat: Math.floor(Date.now() / 1000) };
  const signingInput = `${km.encodedHeader}.${encodeJson(payload)}`;
  const signature = await crypto.subtle.sign(ED25519, km.privateKey, encoder.encode(signingInput));
  return `${signingInput}.${base64url(new Uint8Array(signature))}`;
}

/** The claims of a genuine token for this session, or null for anything else. */
export async function verifySessionToken(env: Env, token: string, sessionId: string): Promise<SessionTokenClaims | null> {
  const km = await material(env);
  const parts = token.split(".");
  if (parts.length !== 3) return null;
  const [encodedHeader, encodedPayload, encodedSignature] = parts as [string, string, string];
  const signature = fromBase64url(encodedSignature);
  if (!signature || signature.length !== 64) return null;
  let keys: VerifyKey[];
  if (encodedHeader === km.encodedHeader) {
    keys = km.currentKeys; // byte for byte the header this key signs with: nothing to decode
  } else {
    const header = decodeJson(encodedHeader);
    // `crit` names extensions we do not implement, so a token that carries it is refused (RFC 7515 §4.1.11).
    if (!header || header.alg !== ALG || "crit" in header || header.typ === TICKET_TYP) return null;
    keys = header.kid === undefined ? km.verifyKeys : km.verifyKeys.filter((k) => k.kid === header.kid);
  }
  const data = encoder.encode(`${encodedHeader}.${encodedPayload}`);
  let genuine = false;
  for (const { key } of keys) {
    if (await crypto.subtle.verify(ED25519, key, signature, data)) {
      genuine = true;
      break;
    }
  }
  if (!genuine) return null;
  const payload = decodeJson(encodedPayload);
  // a lease is signed by the same key but is no session token: it cannot release or heartbeat
  if (payload && "typ" in payload) return null;
  const claims = SessionTokenClaims.safeParse(payload);
  if (!claims.success) return null;
  const { iss, sub, exp, nbf } = claims.data;
  const now = Math.floor(Date.now() / 1000);
  if (iss !== issuer(env) || sub !== sessionId || (exp !== undefined && exp <= now) || (nbf !== undefined && nbf > now)) return null;
  return claims.data;
}

/** A queue ticket's token: `sub` the ticket id, `pool` its pool; the header's `typ` is `ticket`, so it never passes as a session token. */
export async function signTicketToken(env: Env, claims: { sub: string; pool: string }): Promise<string> {
  const km = await material(env);
  const payload = { pool: claims.pool, iss: issuer(env), sub: claims.sub, iat: Math.floor(Date.now() / 1000) };
  const signingInput = `${km.encodedTicketHeader}.${encodeJson(payload)}`;
  const signature = await crypto.subtle.sign(ED25519, km.privateKey, encoder.encode(signingInput));
  return `${signingInput}.${base64url(new Uint8Array(signature))}`;
}

/** The claims of a genuine ticket token for this ticket (signed by the current key), or null. */
export async function verifyTicketToken(env: Env, token: string, ticketId: string): Promise<{ sub: string; pool: string } | null> {
  const km = await material(env);
  const parts = token.split(".");
  if (parts.length !== 3 || parts[0] !== km.encodedTicketHeader) return null;
  const signature = fromBase64url(parts[2]!);
  if (!signature || signature.length !== 64) return null;
  const ok = await crypto.subtle.verify(ED25519, km.currentKeys[0]!.key, signature, encoder.encode(`${parts[0]}.${parts[1]}`));
  if (!ok) return null;
  const claims = decodeJson(parts[1]!);
  if (!claims || claims.iss !== issuer(env) || claims.sub !== ticketId || typeof claims.pool !== "string") return null;
  return { sub: ticketId, pool: claims.pool };
}

export async function publicJwks(env: Env): Promise<{ keys: JWK[] }> {
  return (await material(env)).publicJwks;
}
