/**
 * The SDK in Node: settings from options, environment, policy file and Group Policy;
 * identity from the operating system; the journal and key cache in the user's config
 * directory.
 */
import os from "node:os";
import WebSocket from "ws";
import { explicitSettings } from "../config.js";
import { machineIdToSend } from "../machine-id.js";
import { FileJournal } from "./file-journal.js";
import { FileLeaseStore } from "./file-lease-store.js";
import { FileJwksCache } from "./file-jwks-cache.js";
import { fetchFor, transportFromSettings, type TransportName } from "./http-fetch.js";
import { defaultIdentity } from "./identity.js";
import { readSystemMachineId } from "./machine-id.js";
import { defaultConfigDir, defaultPolicyFile, type Env } from "./paths.js";
import { loadSettings } from "./settings.js";
import type { LiveSocket, LiveSocketConstructor } from "../live-channel.js";
import { SeatkeeperClientCore, type ClientOptions, type ResolvedConfig } from "../session-client.js";

export interface NodeClientOptions extends ClientOptions {
  /** The per-user directory for the journal and cached keys (default per platform, or SEATKEEPER_CONFIG_DIR). */
  configDir?: string;
  /** The machine-wide policy file (default per platform, or SEATKEEPER_POLICY_FILE). */
  policyFile?: string;
  /** Read HKLM\SOFTWARE\Policies\Seatkeeper; default: on Windows only. */
  registry?: boolean;
  /** The environment to read SEATKEEPER_* from; default process.env. */
  env?: Env;
  /** "fetch" (the default) or "node-http", for Wine only (node/http-fetch.ts says why); default SEATKEEPER_TRANSPORT. */
  transport?: TransportName;
}

/** Settings, identity and the rest, as a Node client would use them. */
export async function resolveNodeConfig(options: NodeClientOptions = {}): Promise<ResolvedConfig> {
  const env = options.env ?? process.env;
  const explicit = explicitSettings(options);
  // Read beside the settings (on Windows both spawn reg.exe); unused when a setting gives the id after all.
  const systemId = options.machineId === undefined ? readSystemMachineId() : undefined;
  const merged = await loadSettings({ options: explicit, env, policyFile: options.policyFile, registry: options.registry });
  const identity = defaultIdentity({ env });
  const machine = await machineIdToSend({ value: merged.values.machineId, source: merged.sources.machineId }, () => systemId ?? readSystemMachineId());
  const terminalSession = options.terminalSession === null ? undefined : (options.terminalSession ?? identity.terminalSession);
  return {
    ...merged,
    user: options.user ?? identity.user,
    machine: options.machine ?? identity.machine,
    ...(terminalSession ? { terminalSession } : {}),
    ...(options.clientVersion ? { clientVersion: options.clientVersion } : {}),
    ...machine,
  };
}

/**
 * Takes a seat of a Seatkeeper pool at start-up and gives it back on close.
 *
 *     const client = new SeatkeeperClient({ clientVersion: "16.0.2" });
 *     await client.checkout();   // PoolFullError, OfflineError, … on failure
 *     …
 *     await client.release();    // journalled for the next start when offline
 */
export class SeatkeeperClient extends SeatkeeperClientCore {
  /** The per-user directory holding the journal and the cached keys. */
  readonly configDir: string;

  constructor(options: NodeClientOptions = {}) {
    const env = options.env ?? process.env;
    const configDir = options.configDir ?? defaultConfigDir(env);
    const policyFile = options.policyFile ?? defaultPolicyFile(env);
    const fetchImpl = options.fetch ?? fetchFor(transportFromSettings(options.transport, env));
    super(fetchImpl ? { ...options, fetch: fetchImpl } : options, {
      resolveConfig: () => resolveNodeConfig({ ...options, policyFile }),
      journal: new FileJournal(configDir),
      leases: new FileLeaseStore(configDir),
      jwksCache: new FileJwksCache(configDir),
      policyHint: `policy file ${policyFile}${process.platform === "win32" ? " or Group Policy" : ""}`,
      process: { pid: process.pid, host: os.hostname() },
      live: { WebSocket: WebSocket as unknown as LiveSocketConstructor, auth: "header", opened: unrefSocket },
    });
    this.configDir = configDir;
  }
}

/** An open channel alone does not keep the process running, as the heartbeat's timer does not: an exit leaves the seat to the journal. */
function unrefSocket(socket: LiveSocket): void {
  (socket as unknown as { _socket?: { unref?(): void } })._socket?.unref?.();
}
