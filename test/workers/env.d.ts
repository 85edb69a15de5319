import type { Env as WorkerEnv } from "../../src/worker/env";

// `env` from cloudflare:test carries the Worker's bindings.
declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {
      /** Tests only: the private JWK of the key in PREVIOUS_PUBLIC_KEYS, to sign tokens as before a key rotation. */
      TEST_PREVIOUS_SIGNING_KEY: string;
    }
  }
}
