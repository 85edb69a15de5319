/** Runs the real `seatkeeper` command (bin/seatkeeper.mjs) in a child process, isolated from this machine's settings. */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { ROOT, type LocalServer } from "./local-server";
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
