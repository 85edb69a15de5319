/** Who is asking for a seat, by default: the OS user, this host, and the terminal session. */
import os from "node:os";
import type { Env } from "./paths.js";

export interface Identity {
  user: string;
  machine: string;
  terminalSession?: string;
}

export interface IdentitySources {
  env?: Env;
  platform?: NodeJS.Platform;
  userName?: () => string;
  hostName?: () => string;
}

function osUserName(env: Env): string {
  try {
    const name = os.userInfo().username;
    if (name) return name;
  } catch {
    // no passwd entry (some containers): fall back to the environment
  }
  return env.USERNAME ?? env.USER ?? env.LOGNAME ?? "unknown";
}

/**
 * On a Remote Desktop or Citrix server every terminal session is its own identity.
 * Windows names the session in SESSIONNAME ("Console" at the physical screen,
 * "RDP-Tcp#12", "ICA-tcp#3") and the connecting device in CLIENTNAME. The device name
 * is preferred: it stays the same when a user reconnects, where the session number
 * changes, so a reconnected user keeps the seat they hold.
 */
export function terminalSessionFromEnv(env: Env, platform: NodeJS.Platform): string | undefined {
  if (platform !== "win32") return undefined;
  const session = env.SESSIONNAME?.trim();
  if (!session || session.toLowerCase() === "console") return undefined;
  const client = env.CLIENTNAME?.trim();
  return client && client.toLowerCase() !== "console" ? client : session;
}

export function defaultIdentity(sources: IdentitySources = {}): Identity {
  const env = sources.env ?? process.env;
  const platform = sources.platform ?? process.platform;
  const terminalSession = terminalSessionFromEnv(env, platform);
  return {
    user: sources.userName?.() ?? osUserName(env),
    machine: sources.hostName?.() ?? os.hostname(),
    ...(terminalSession ? { terminalSession } : {}),
  };
}
