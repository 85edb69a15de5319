/** Runs the real `seatkeeper` command (bin/seatkeeper.mjs) in a child process, isolated from this machine's settings. */
import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { ROOT, startLocalServer, type LocalServer } from "./local-server";
import { tempDir } from "./sdk-helpers";

export const BIN = path.join(ROOT, "bin", "seatkeeper.mjs");

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** An environment with nothing from this machine: its own config folder, no policy file, the test server. */
export function cliEnv(server: LocalServer | undefined, extra: Record<string, string> = {}): Record<string, string> {
  const home = tempDir("seatkeeper-home-");
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    SEATKEEPER_CONFIG_DIR: path.join(home, "config"),
    SEATKEEPER_POLICY_FILE: path.join(home, "no-policy.json"),
    ...(server ? { SEATKEEPER_URL: server.url } : {}),
    ...extra,
  };
}

export function startCli(args: string[], env: Record<string, string>): { child: ChildProcess; result: Promise<CliResult> } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: env.HOME ?? ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  const result = new Promise<CliResult>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, result };
}

export function runCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  return startCli(args, env).result;
}

/** A failure is told in words, never with a stack trace. */
export function expectNoStackTrace(r: CliResult): void {
  if (/^\s+at .+\(.*:\d+:\d+\)$/m.test(r.stderr) || /^\s+at .+:\d+:\d+$/m.test(r.stderr)) {
    throw new Error(`stack trace in stderr:\n${r.stderr}`);
  }
}

/** What the operator commands' test files start before their tests: the local server, and an environment with the vendor token. */
export async function startServerForVendor(): Promise<{ server: LocalServer; vendorEnv: Record<string, string> }> {
  const server = await startLocalServer();
  return { server, vendorEnv: cliEnv(server, { SEATKEEPER_ADMIN_TOKEN: server.vendorToken }) };
}

/** What the `seatkeeper run` test files start before their tests: the local server, and the program (writeRunProgram) to run behind a pool. */
export async function startServerForRun(): Promise<{ server: LocalServer; program: string }> {
  const program = writeRunProgram(); // first: a server already started would have no one to stop it if this threw
  return { server: await startLocalServer(), program };
}

/**
 * The program the `seatkeeper run` tests put behind a pool, written to a temporary folder:
 * it says it started (writes its session id to `<marker>.started`), then waits for a
 * `<marker>.go` file and exits with the code it was given (`node program.cjs MARKER CODE`);
 * it also ends when this test process is gone, so a failing test leaves no program (and no
 * `seatkeeper run`) behind.
 */
export function writeRunProgram(): string {
  const program = path.join(tempDir(), "program.cjs");
  writeFileSync(
    program,
    [
      'const fs = require("node:fs");',
      "const [marker, code] = process.argv.slice(2);",
      `const testProcess = ${process.pid};`,
      "const alive = () => { try { process.kill(testProcess, 0); return true; } catch { return false; } };",
      'fs.writeFileSync(marker + ".started", process.env.SEATKEEPER_SESSION_ID || "");',
      'setInterval(() => { if (fs.existsSync(marker + ".go")) process.exit(Number(code)); if (!alive()) process.exit(1); }, 25);',
    ].join("\n"),
  );
  return program;
}
