/**
 * Dashboard sign-in with OpenID Connect: the authorization code flow with PKCE (S256).
 * The state is bound to the browser by a short-lived cookie and kept, by its hash, in the
 * directory until the callback takes it, once: a replayed state finds nothing. The ID
 * token is verified with jose against the provider's JWKS, for this client and issuer,
 * with the nonce sent; its verified `email` names the staff member.
 */
import { createRemoteJWKSet, jwtVerify } from "jose";
import { sha256Hex } from "../credentials.js";
import type { Env } from "../env.js";
import { directoryStub, poolStub } from "../pool-stub.js";
import { randomToken } from "./session.js";

export const OIDC_STATE_COOKIE = "__Host-seatkeeper-oidc";
/** The path the identity provider sends the browser back to: register `<origin>/admin/oidc/callback`. */
export const CALLBACK_PATH = "/admin/oidc/callback";

export interface OidcClient {
  issuer: string;
  clientId: string;
  clientSecret?: string;
  /** A pool's provider: only these e-mail domains may sign in. */
  allowedDomains?: string[];
}

interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
}

const discoveries = new Map<string, Promise<Discovery>>();
const keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

/** The vendor's provider, when the environment names one. */
export function vendorOidc(env: Env): OidcClient | null {
  if (!env.OIDC_ISSUER || !env.OIDC_CLIENT_ID) return null;
  return { issuer: env.OIDC_ISSUER, clientId: env.OIDC_CLIENT_ID, ...(env.OIDC_CLIENT_SECRET ? { clientSecret: env.OIDC_CLIENT_SECRET } : {}) };
}

/** The provider's metadata, fetched once per isolate (and again after a failure). */
function discover(issuer: string): Promise<Discovery> {
  let found = discoveries.get(issuer);
  if (!found) {
    found = (async () => {
      const res = await fetch(`${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`);
      if (!res.ok) throw new Error(`the identity provider's discovery document answered ${res.status}`);
      const d = (await res.json()) as Discovery;
      if (d.issuer !== issuer) throw new Error("the identity provider's discovery document names another issuer");
      return d;
    })();
    found.catch(() => discoveries.delete(issuer));
    discoveries.set(issuer, found);
  }
  return found;
}

const base64url = (bytes: ArrayBuffer) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

/** Starts a sign-in: where to send the browser, and the state for its cookie. */
export async function authorizationUrl(env: Env, client: OidcClient, origin: string, poolId: string | null = null): Promise<{ url: string; state: string }> {
  const d = await discover(client.issuer);
  const state = randomToken(32);
  const nonce = randomToken(32);
  const verifier = randomToken(48);
  await directoryStub(env).beginOidc(await sha256Hex(state), nonce, verifier, poolId);
  const challenge = base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  const url = new URL(d.authorization_endpoint);
  for (const [k, v] of Object.entries({
    response_type: "code", client_id: client.clientId, redirect_uri: origin + CALLBACK_PATH, scope: "openid email",
    state, nonce, code_challenge: challenge, code_challenge_method: "S256",
  })) url.searchParams.set(k, v);
  return { url: url.toString(), state };
}

export type OidcResult = { ok: true; email: string } | { ok: false; why: string };

/** A pool's own provider, for its admins. */
export async function poolOidc(env: Env, poolId: string): Promise<OidcClient | null> {
  const sso = await poolStub(env, poolId).ssoConfig();
  return sso ? { issuer: sso.issuer, clientId: sso.clientId, ...(sso.clientSecret ? { clientSecret: sso.clientSecret } : {}), allowedDomains: sso.allowedDomains } : null;
}

/** Which pool a sign-in under way is for (null: the vendor's provider), without taking it. */
export type PendingSignIn = { nonce: string; verifier: string; poolId: string | null };

/** Finishes a sign-in: the state checked and taken, the code exchanged, the ID token verified. */
/** The state checked against the browser's cookie and taken from the directory, once. */
export async function takePending(env: Env, query: URLSearchParams, cookieState: string | undefined): Promise<{ ok: true; pending: PendingSignIn } | { ok: false; why: string }> {
  const state = query.get("state") ?? "";
  if (query.get("error")) return { ok: false, why: `the identity provider refused the sign-in (${query.get("error")})` };
  if (!state || !cookieState || state !== cookieState) return { ok: false, why: "this sign-in was not started in this browser" };
  const pending = await directoryStub(env).takeOidc(await sha256Hex(state));
  return pending ? { ok: true, pending } : { ok: false, why: "this sign-in link was used already or is too old" };
}

/** Finishes a sign-in taken from the directory: the code exchanged, the ID token verified. */
export async function completeSignIn(env: Env, client: OidcClient, origin: string, query: URLSearchParams, pending: PendingSignIn): Promise<OidcResult> {
  const code = query.get("code");
  if (!code) return { ok: false, why: "the identity provider sent no authorization code" };
  const d = await discover(client.issuer);
  const form = new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: origin + CALLBACK_PATH, client_id: client.clientId, code_verifier: pending.verifier });
  if (client.clientSecret) form.set("client_secret", client.clientSecret);
  const res = await fetch(d.token_endpoint, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" }, body: form });
  const tokens = (await res.json().catch(() => ({}))) as { id_token?: string; error?: string };
  if (!res.ok || !tokens.id_token) return { ok: false, why: `the identity provider did not issue an ID token (${tokens.error ?? res.status})` };
  let keys = keySets.get(d.jwks_uri);
  if (!keys) keySets.set(d.jwks_uri, (keys = createRemoteJWKSet(new URL(d.jwks_uri))));
  try {
    const { payload } = await jwtVerify(tokens.id_token, keys, { issuer: client.issuer, audience: client.clientId });
    if (payload.nonce !== pending.nonce) return { ok: false, why: "the ID token's nonce is not this sign-in's" };
    if (typeof payload.email !== "string" || payload.email_verified !== true) return { ok: false, why: "the identity provider gave no verified e-mail address" };
    return { ok: true, email: payload.email };
  } catch (e) {
    return { ok: false, why: `the ID token could not be verified (${e instanceof Error ? e.message : "unknown"})` };
  }
}
