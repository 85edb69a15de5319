import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { generateKeyPairSync } from "node:crypto";
import { defineConfig } from "vitest/config";

// The workers pool reads wrangler.toml through wrangler, whose info lines ("Using secrets defined
// in .dev.vars", once per test file) are not the tests' business; its warnings and errors still show.
process.env.WRANGLER_LOG ??= "warn";

// A throwaway signing key per run, and a previous key that the JWKS still publishes.
const signing = { ...generateKeyPairSync("ed25519").privateKey.export({ format: "jwk" }), kid: "test-current" };
const previousSigning = { ...generateKeyPairSync("ed25519").privateKey.export({ format: "jwk" }), kid: "test-previous" };
const { d: _d, ...previous } = previousSigning;

export default defineConfig({
  test: {
    projects: [
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                SIGNING_KEY: JSON.stringify(signing),
                PREVIOUS_PUBLIC_KEYS: JSON.stringify([previous]),
                ADMIN_TOKEN: "test-vendor-token-for-the-workers-tests",
                // workerd has no jurisdictions: the tests say so, as `npm start` does (src/worker/pool-stub.ts)
                JURISDICTIONS: "off",
                // the retired key's private half, for tests alone to sign as it did before the rotation (the Worker never reads it)
                TEST_PREVIOUS_SIGNING_KEY: JSON.stringify(previousSigning),
              },
            },
          }),
        ],
        // storms put hundreds of requests in flight; a shared CI machine needs headroom
        test: { name: "workers", include: ["test/workers/**/*.test.ts"], testTimeout: 60_000 },
      },
      {
        test: {
          name: "node",
          environment: "node",
          include: ["test/node/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
