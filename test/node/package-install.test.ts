/**
 * The published package as a customer gets it: `npm run build`, `npm pack`, then the
 * tarball installed into an empty folder with no TypeScript loader, its command and its
 * SDK used against a local service.
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, startLocalServer, type LocalServer } from "./local-server";
import { cliEnv } from "./cli-helpers";
import { createPool, inUse, removeTempDirs, tempDir, uniqueUser } from "./sdk-helpers";

const exec = promisify(execFile);
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

let server: LocalServer;
let consumer: string;
let tarball: string;
let packedFiles: string[];

/** Runs a program in the consumer folder; never throws, so a failure's output is in the assertion. */
async function inConsumer(file: string, args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(file, args, { cwd: consumer, env, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? String(err) };
  }
}

beforeAll(async () => {
  server = await startLocalServer();
  await exec(npm, ["run", "build"], { cwd: ROOT });
  const packDir = tempDir("seatkeeper-pack-");
  // The build just ran; --ignore-scripts keeps prepack from running it twice.
  const { stdout } = await exec(npm, ["pack", "--json", "--ignore-scripts", "--pack-destination", packDir], { cwd: ROOT });
  const packed = (JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>)[0]!;
  tarball = path.join(packDir, packed.filename);
  packedFiles = packed.files.map((f) => f.path);
  consumer = tempDir("seatkeeper-consumer-");
  writeFileSync(path.join(consumer, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  await exec(npm, ["install", "--no-audit", "--no-fund", "--prefer-offline", tarball], { cwd: consumer });
}, 300_000);

afterAll(async () => {
  await server?.dispose();
  removeTempDirs();
});

describe("the packed tarball installed into an empty folder", () => {
  it("holds the built JavaScript and types, and brings no TypeScript loader or dev dependency", async () => {
    const installed = path.join(consumer, "node_modules", "seatkeeper");
    const manifest = JSON.parse(readFileSync(path.join(installed, "package.json"), "utf8")) as { name: string; version: string; private?: boolean };
    expect(manifest.name).toBe("seatkeeper");
    expect(manifest.private).toBeUndefined();
    expect(existsSync(path.join(installed, "dist", "client", "index.d.ts"))).toBe(true);
    expect(existsSync(path.join(installed, "src"))).toBe(false);
    // Built code, types and docs only: no sources, tests, Worker, or the executables of dist/bin.
    expect(packedFiles.filter((f) => !/^(dist\/(client|cli|contract)\/|dist\/worker\/credentials\.(js|d\.ts)$|docs\/client\.md$|package\.json$|README\.md$)/.test(f))).toEqual([]);
    expect(packedFiles).toContain("dist/cli/bin.js");
    for (const absent of ["tsx", "typescript", "hono", "esbuild", "wrangler"]) {
      expect(existsSync(path.join(consumer, "node_modules", absent)), `${absent} installed`).toBe(false);
    }
  });

  it("`npx seatkeeper --help` prints the usage", async () => {
    const npx = process.platform === "win32" ? "npx.cmd" : "npx";
    const r = await inConsumer(npx, ["--offline", "seatkeeper", "--help"], { ...process.env, ...cliEnv(undefined) } as Record<string, string>);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: seatkeeper <command>/m);
    const v = await inConsumer(path.join(consumer, "node_modules", ".bin", "seatkeeper"), ["--version"], cliEnv(undefined));
    expect(v.stdout.trim()).toBe(`seatkeeper ${(JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string }).version}`);
  });

  it("`seatkeeper run -- …` holds a seat while the command runs, exits with its code and gives the seat back", async () => {
    const pool = await createPool(server, 1);
    const env = cliEnv(server, { SEATKEEPER_SERIAL: pool.serial, SEATKEEPER_PRODUCT_KEY: pool.productKey });
    const seen = path.join(tempDir(), "session.txt");
    // The command notes the session it runs under, then exits 3.
    const script = `require("fs").writeFileSync(process.argv[1], process.env.SEATKEEPER_SESSION_ID || "none"); process.exit(3)`;
    const r = await inConsumer(path.join(consumer, "node_modules", ".bin", "seatkeeper"), ["run", "--user", uniqueUser("pkg"), "--", process.execPath, "-e", script, seen], env);
    expect(r.stderr).toMatch(/seat taken \(1 of 1 seat in use\)/);
    expect(r.stderr).toMatch(/seat given back \(0 of 1 seat in use\)/);
    expect(r.code).toBe(3);
    expect(readFileSync(seen, "utf8")).toMatch(/^ses_/);
    expect(await inUse(server, pool.poolId)).toBe(0);
  });

  it("`import { SeatkeeperClient } from \"seatkeeper\"` works from a plain .mjs", async () => {
    const pool = await createPool(server, 2);
    const file = path.join(consumer, "app.mjs");
    writeFileSync(
      file,
      [
        'import { SeatkeeperClient, PoolFullError } from "seatkeeper";',
        'import { SeatkeeperClient as BrowserClient } from "seatkeeper/browser";',
        "const client = new SeatkeeperClient({ clientVersion: '1.0.0' });",
        "const seat = await client.checkout();",
        "const claims = await client.verifyToken();",
        "const released = await client.release();",
        "console.log(JSON.stringify({ session: seat.sessionId, sub: claims.sub, freed: released.seatFreed, full: typeof PoolFullError, browser: typeof BrowserClient }));",
      ].join("\n"),
    );
    const env = cliEnv(server, { SEATKEEPER_SERIAL: pool.serial, SEATKEEPER_PRODUCT_KEY: pool.productKey });
    const r = await inConsumer(process.execPath, [file], env);
    expect(r.stderr).toBe("");
    const out = JSON.parse(r.stdout) as { session: string; sub: string; freed: boolean; full: string; browser: string };
    expect(out.session).toMatch(/^ses_/);
    expect(out.sub).toBe(out.session);
    expect(out).toMatchObject({ freed: true, full: "function", browser: "function" });
    expect(await inUse(server, pool.poolId)).toBe(0);
  });

  it("its types check a TypeScript consumer that resolves the package as Node does", async () => {
    const file = path.join(consumer, "check.ts");
    writeFileSync(
      file,
      [
        'import { SeatkeeperClient, type CheckoutResponse } from "seatkeeper";',
        "const client = new SeatkeeperClient({ clientVersion: '1.0.0' });",
        "export const seat: Promise<CheckoutResponse> = client.checkout();",
        "// @ts-expect-error: the options have no such setting",
        "new SeatkeeperClient({ serialNumber: 'x' });",
      ].join("\n"),
    );
    const tsc = path.join(ROOT, "node_modules", "typescript", "bin", "tsc");
    const r = await inConsumer(process.execPath, [tsc, "--noEmit", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022", "--typeRoots", path.join(ROOT, "node_modules", "@types"), "--types", "node", file], {
      PATH: process.env.PATH ?? "",
    });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.code).toBe(0);
  });
});

describe("the command in a checkout", () => {
  it("is `npx seatkeeper` after npm ci, as the README says: the checkout's own source, built or not", async () => {
    const { stdout } = await exec("npx", ["--no-install", "seatkeeper", "--version"], { cwd: ROOT, timeout: 60_000 });
    const { version } = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string };
    expect(stdout.trim()).toBe(`seatkeeper ${version}`);
  });
});
