import type { LicencePool } from "../../durable-objects/licence-pool.js";
import type { Actor } from "../../durable-objects/outcome.js";
import type { PoolDirectory } from "../../durable-objects/pool-directory.js";
import type { SessionTokenClaims } from "../contract/token.js";

/** The Worker's bindings, as declared in wrangler.toml and set as secrets. */
export interface Env {
  POOL: DurableObjectNamespace<LicencePool>;
  DIRECTORY: DurableObjectNamespace<PoolDirectory>;
  /** Failed authentications per client address (Workers Rate Limiting). */
  AUTH_FAILURES: RateLimit;
  /** The private JWK (Ed25519, with `kid`) that signs session tokens. Secret. */
  SIGNING_KEY: string;
  /** Public JWKs of earlier signing keys, as a JSON array, still published and accepted. */
  PREVIOUS_PUBLIC_KEYS?: string;
  /** The vendor token. Secret. */
  ADMIN_TOKEN: string;
  /** "true" lets webhook URLs be http or name private and loopback addresses, for local receivers (`npm start` sets it). */
  ALLOW_INSECURE_WEBHOOKS?: string;
  /** The `iss` of session tokens. */
  TOKEN_ISSUER?: string;
  /** The vendor's OpenID Connect provider for staff sign-in to the dashboard (docs/dashboard.md). */
  OIDC_ISSUER?: string;
  OIDC_CLIENT_ID?: string;
  /** Secret. */
  OIDC_CLIENT_SECRET?: string;
  /** "off" on local runs only (npm start, the tests): workerd has no jurisdictions, so EU pools use the global namespace. */
  JURISDICTIONS?: string;
}

export interface AppEnv {
  Bindings: Env;
}

/** What the auth middleware (auth.ts) sets before a route validates its input. */
export interface AuthVariables {
  /** Who is calling an admin route. */
  actor: Actor;
  /** The pool a pool-scoped admin route acts on, normalised. */
  poolId: string;
  /** The verified claims of a session route's bearer token. */
  claims: SessionTokenClaims;
}

/** An admin route for the vendor alone: the actor is known. */
export interface VendorEnv extends AppEnv {
  Variables: Pick<AuthVariables, "actor">;
}
/** An admin route on one pool: the actor may act on `poolId`, a well-formed pool id. */
export interface PoolAdminEnv extends AppEnv {
  Variables: Pick<AuthVariables, "actor" | "poolId">;
}
/** A client route on a session: its token verified for the session in the path. */
export interface SessionEnv extends AppEnv {
  Variables: Pick<AuthVariables, "claims">;
}
