/**
 * Offline verification of session tokens against the service's published keys (JWKS).
 * A token proves who holds a session; whether the session is still active is the
 * service's to say (status/heartbeat). The keys are cached so verification works
 * without the network once they have been fetched.
 */
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWK } from "jose";
import type { z } from "zod";
import { SessionTokenClaims, type Jwks } from "../contract/index.js";
import { InvalidTokenError } from "./errors.js";

/** The claims of a session token: the contract's schema, the one the Worker signs with. */
export { SessionTokenClaims };
export type JwksDocument = z.infer<typeof Jwks>;

/** Algorithms the contract allows for session tokens. */
export const TOKEN_ALGORITHMS = ["EdDSA", "ES256"];

/** The key id a token was signed with, or undefined for something that is not a JWT. */
export function tokenKeyId(token: string): string | undefined {
  try {
    return decodeProtectedHeader(token).kid;
  } catch {
    return undefined;
  }
}

/** Reads a token's claims without checking its signature (to find its session id). */
export function readTokenClaims(token: string): SessionTokenClaims {
  let raw: unknown;
  try {
    raw = decodeJwt(token);
  } catch {
    throw new InvalidTokenError("invalid_token", "This is not a Seatkeeper session token: it is not a well-formed JWT.");
  }
  const parsed = SessionTokenClaims.safeParse(raw);
  if (!parsed.success) throw new InvalidTokenError("invalid_token", "This JWT lacks the claims of a Seatkeeper session token (sub, pool, seat, user, machine).");
  return parsed.data;
}

/** A published key jose can use: every JWK names its key type; anything else in the set is ignored. */
function isJwk(key: Record<string, unknown>): key is Record<string, unknown> & JWK {
  return typeof key.kty === "string";
}

export function jwksHasKey(jwks: JwksDocument, kid: string | undefined): boolean {
  return kid !== undefined && jwks.keys.some((k) => k.kid === kid);
}

/**
 * Verifies the token's signature with the given keys and returns its claims. Throws an
 * InvalidTokenError when the token is forged, altered, for another session or issuer,
 * or signed with a key the set does not hold.
 */
export async function verifySessionToken(
  token: string,
  jwks: JwksDocument,
  expect: { sessionId?: string; issuer?: string } = {},
): Promise<SessionTokenClaims> {
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(token, createLocalJWKSet({ keys: jwks.keys.filter(isJwk) }), {
      algorithms: TOKEN_ALGORITHMS,
      ...(expect.issuer === undefined ? {} : { issuer: expect.issuer }),
    }));
  } catch (err) {
    const why =
      err instanceof joseErrors.JWKSNoMatchingKey ? "it was signed with a key the service does not publish"
      : err instanceof joseErrors.JWSSignatureVerificationFailed ? "its signature does not match"
      : err instanceof joseErrors.JWTClaimValidationFailed ? `its "${err.claim}" claim is wrong`
      : "it is not a well-formed signed JWT";
    throw new InvalidTokenError("invalid_token", `The session token does not verify: ${why}.`);
  }
  // a lease is signed by the same keys, but it is not a session token
  if (typeof payload === "object" && payload !== null && "typ" in payload) throw new InvalidTokenError("invalid_token", "This is a lease for a borrowed seat, not a session token.");
  const claims = SessionTokenClaims.safeParse(payload);
  if (!claims.success) throw new InvalidTokenError("invalid_token", "The token verifies but lacks the claims of a Seatkeeper session token.");
  if (expect.sessionId !== undefined && claims.data.sub !== expect.sessionId) {
    throw new InvalidTokenError("invalid_token", "The token verifies but belongs to another session.");
  }
  return claims.data;
}

/** Where fetched key sets are kept between launches. */
export interface JwksCache {
  load(url: string): Promise<JwksDocument | undefined>;
  save(url: string, jwks: JwksDocument): Promise<void>;
}

export class MemoryJwksCache implements JwksCache {
  private readonly sets = new Map<string, JwksDocument>();
  async load(url: string): Promise<JwksDocument | undefined> {
    return this.sets.get(url);
  }
  async save(url: string, jwks: JwksDocument): Promise<void> {
    this.sets.set(url, jwks);
  }
}
