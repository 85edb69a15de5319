import type { LicencePool } from "../../durable-objects/licence-pool.js";
import type { PoolDirectory } from "../../durable-objects/pool-directory.js";

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
  /** The `iss` of session tokens. */
  TOKEN_ISSUER?: string;
}

export interface AppEnv {
  Bindings: Env;
}
