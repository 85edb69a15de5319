/**
 * The secrets a local run needs, kept in the git-ignored `.dev.vars`: an Ed25519
 * signing key and a vendor token, generated on first start and reused after.
 * Run as a script, it prints a new one of either for production (docs/deploy.md):
 *
 *   node --import tsx scripts/local-secrets.ts signing-key | npx wrangler secret put SIGNING_KEY
 *   node --import tsx scripts/local-secrets.ts vendor-token
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { linkSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export interface LocalSecrets {
  SIGNING_KEY: string;
  ADMIN_TOKEN: string;
  [name: string]: string;
}

export function parseVars(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    let value = m[2]!;
    if (/^'.*'$/.test(value) || /^".*"$/.test(value)) value = value.slice(1, -1);
    vars[m[1]!] = value;
  }
  return vars;
}

export function formatVars(vars: Record<string, string>): string {
  return Object.entries(vars).map(([k, v]) => `${k}='${v}'`).join("\n") + "\n";
}

/** An Ed25519 private JWK; its kid names where and when it was made, so JWKS readers can tell keys apart. */
export function newSigningKey(kidPrefix = "local"): string {
  const jwk = generateKeyPairSync("ed25519").privateKey.export({ format: "jwk" });
  return JSON.stringify({ ...jwk, kid: `${kidPrefix}-${randomBytes(4).toString("hex")}` });
}

/** 192 random bits: far past guessing, even without the failure limiter. */
export function newVendorToken(): string {
  return `vt_${randomBytes(24).toString("base64url")}`;
}

/**
 * Reads `.dev.vars`, creating it (mode 600) when missing. Two starts racing on a fresh
 * clone agree: the file is published with link(), which fails if the other won.
 */
export function ensureLocalSecrets(root: string): { secrets: LocalSecrets; file: string; created: boolean } {
  const file = path.join(root, ".dev.vars");
  try {
    const vars = parseVars(readFileSync(file, "utf8"));
    if (vars.SIGNING_KEY && vars.ADMIN_TOKEN) return { secrets: vars as LocalSecrets, file, created: false };
    const completed = { SIGNING_KEY: newSigningKey(), ADMIN_TOKEN: newVendorToken(), ...vars };
    writeFileSync(file, formatVars(completed), { mode: 0o600 });
    return { secrets: completed, file, created: true };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  const secrets = { SIGNING_KEY: newSigningKey(), ADMIN_TOKEN: newVendorToken() };
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, formatVars(secrets), { mode: 0o600 });
  try {
    linkSync(tmp, file);
    return { secrets, file, created: true };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    return { secrets: parseVars(readFileSync(file, "utf8")) as LocalSecrets, file, created: false };
  } finally {
    unlinkSync(tmp);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const what = process.argv[2];
  const today = new Date().toISOString().slice(0, 10);
  if (what === "signing-key") process.stdout.write(newSigningKey(`sk-${today}`));
  else if (what === "vendor-token") process.stdout.write(newVendorToken() + "\n");
  else {
    console.error("Usage: node --import tsx scripts/local-secrets.ts signing-key|vendor-token");
    process.exitCode = 2;
  }
}
