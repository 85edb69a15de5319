/**
 * `npm run build`: the SDK and the CLI as ESM JavaScript with .d.ts in dist/ (what the
 * package's exports and bin point at). The executables in dist/bin/ are left alone.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
for (const dir of ["client", "cli", "contract", "worker"]) rmSync(path.join(root, "dist", dir), { recursive: true, force: true });
execFileSync(process.execPath, [path.join(root, "node_modules", "typescript", "bin", "tsc"), "-p", path.join(root, "tsconfig.build.json")], {
  cwd: root,
  stdio: "inherit",
});
chmodSync(path.join(root, "dist", "cli", "bin.js"), 0o755);
console.log("built dist/client, dist/cli and dist/contract");
