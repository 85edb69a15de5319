/** Where the client keeps its per-user files and where IT puts the machine-wide policy. */
import os from "node:os";
import path from "node:path";

export type Env = Record<string, string | undefined>;

/**
 * The user's own Seatkeeper directory: %LOCALAPPDATA%\Seatkeeper on Windows (not the
 * roaming profile: a held seat belongs to this machine), ~/Library/Application Support/Seatkeeper
 * on macOS, $XDG_CONFIG_HOME/seatkeeper (~/.config/seatkeeper) elsewhere.
 * SEATKEEPER_CONFIG_DIR overrides it.
 */
export function defaultConfigDir(env: Env = process.env, platform: NodeJS.Platform = process.platform, home = os.homedir()): string {
  if (env.SEATKEEPER_CONFIG_DIR) return path.resolve(env.SEATKEEPER_CONFIG_DIR);
  if (platform === "win32") return path.win32.join(env.LOCALAPPDATA ?? path.win32.join(home, "AppData", "Local"), "Seatkeeper");
  if (platform === "darwin") return path.join(home, "Library", "Application Support", "Seatkeeper");
  return path.join(env.XDG_CONFIG_HOME || path.join(home, ".config"), "seatkeeper");
}

/**
 * The machine-wide policy file: %ProgramData%\Seatkeeper\policy.json on Windows,
 * /etc/seatkeeper/policy.json elsewhere. SEATKEEPER_POLICY_FILE overrides it.
 */
export function defaultPolicyFile(env: Env = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.SEATKEEPER_POLICY_FILE) return path.resolve(env.SEATKEEPER_POLICY_FILE);
  if (platform === "win32") return path.win32.join(env.ProgramData ?? env.PROGRAMDATA ?? "C:\\ProgramData", "Seatkeeper", "policy.json");
  return "/etc/seatkeeper/policy.json";
}
