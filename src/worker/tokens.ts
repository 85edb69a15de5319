/**
 * Session tokens: EdDSA (Ed25519) JWTs signed in the Worker once the pool object has
 * granted the seat. They carry no secret and are verifiable offline with the JWKS;
 * the pool object stays the truth about whether the session is still active.
 */
import { SignJWT, createLocalJWKSet, importJWK, jwtVerify, type JWK, type JWTVerifyGetKey } from "jose";
import type { Env } from "./env.js";

export interface SessionClaims {
  sub: string;
  pool: string;
  seat: string;
  user: string;
  machine: string;
  tsn?: string;
}

interface KeyMaterial {
  config: string;
  kid: string;
  privateKey: CryptoKey;
  publicJwks: { keys: JWK[] };
  verifier: JWTVerifyGetKey;
}

const ALG = "EdDSA";
let cached: Promise<KeyMaterial> | undefined;
let cachedConfig = "";

function publicPart(jwk: JWK): JWK {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, key_ops: _ops, ...pub } = jwk;
  return { ...pub, use: "sig", alg: ALG };
}

async function load(env: Env): Promise<KeyMaterial> {
  const privateJwk = JSON.parse(env.SIGNING_KEY) as JWK;
  if (privateJwk.kty !== "OKP" || privateJwk.crv !== "Ed25519" || !privateJwk.d || !privateJwk.kid) {
    throw new Error("SIGNING_KEY must be an Ed25519 private JWK with a kid");
  }
  const previous = env.PREVIOUS_PUBLIC_KEYS ? (JSON.parse(env.PREVIOUS_PUBLIC_KEYS) as JWK[]) : [];
  const publicJwks = { keys: [publicPart(privateJwk), ...previous.map(publicPart)] };
  return {
    config: env.SIGNING_KEY,
    kid: privateJwk.kid,
    privateKey: (await importJWK(privateJwk, ALG)) as CryptoKey,
    publicJwks,
    verifier: createLocalJWKSet(publicJwks),
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

export async function signSessionToken(env: Env, claims: SessionClaims): Promise<string> {
  const km = await material(env);
  const { sub, ...rest } = claims;
  return new SignJWT(rest)
    .setProtectedHeader({ alg: ALG, kid: km.kid, typ: "JWT" })
    .setIssuer(issuer(env))
    .setSubject(sub)
    .setIssuedAt()
    .sign(km.privateKey);
}

/** The claims of a genuine token for this session, or null for anything else. */
export async function verifySessionToken(env: Env, token: string, sessionId: string): Promise<SessionClaims | null> {
  const km = await material(env);
  try {
    const { payload } = await jwtVerify(token, km.verifier, { issuer: issuer(env), algorithms: [ALG] });
    if (payload.sub !== sessionId || typeof payload.pool !== "string" || typeof payload.seat !== "string") return null;
    return payload as unknown as SessionClaims;
  } catch {
    return null;
  }
}

export async function publicJwks(env: Env): Promise<{ keys: JWK[] }> {
  return (await material(env)).publicJwks;
}
