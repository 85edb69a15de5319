/**
 * The Seatkeeper SDK in a browser: settings come from options alone (a page has no
 * policy file or registry), the identity must be given, and pending releases are kept
 * in localStorage when there is one. Imports nothing from Node.
 */
import { explicitSettings, mergeSettings } from "./config.js";
import { machineIdToSend } from "./machine-id.js";
import { MemoryJournal, StorageJournal, type KeyValueStorage } from "./journal.js";
import { MemoryJwksCache } from "./token.js";
import { MemoryLeaseStore } from "./lease.js";
import { SeatkeeperClientCore, type ClientOptions } from "./session-client.js";
import { ConfigurationError } from "./errors.js";
import type { LiveSocketConstructor } from "./live-channel.js";

export * from "./errors.js";
export * from "./journal.js";
export * from "./machine-id.js";
export * from "./token.js";
export * from "./lease.js";
export { mergeSettings, requireSettings, settingNames, type Settings, type MergedSettings } from "./config.js";
export { Transport, normalizeServiceUrl, type TransportOptions } from "./transport.js";
export { SeatkeeperAdmin, type AdminOptions } from "./admin-client.js";
export { LIVE_SUBPROTOCOL, type LiveOptions, type LiveState, type LiveSocket, type LiveSocketConstructor } from "./live-channel.js";
export { SeatkeeperClientCore, type ClientOptions, type HeartbeatOptions, type ReleaseResult, type ReplayReport, type ResolvedConfig } from "./session-client.js";
export type * from "../contract/schemas.js";

export interface BrowserClientOptions extends ClientOptions {
  user: string;
  machine: string;
  /** Where to keep pending releases; default localStorage when the page has it. */
  storage?: KeyValueStorage | null;
}

function defaultStorage(): KeyValueStorage | undefined {
  try {
    return (globalThis as { localStorage?: KeyValueStorage }).localStorage;
  } catch {
    return undefined; // storage disabled by the browser's privacy settings
  }
}

export class SeatkeeperClient extends SeatkeeperClientCore {
  constructor(options: BrowserClientOptions) {
    if (!options.user || !options.machine) throw new ConfigurationError("In a browser, give the user and machine names in the options.", ["user", "machine"]);
    const storage = options.storage === null ? undefined : (options.storage ?? defaultStorage());
    const explicit = explicitSettings(options);
    super(options, {
      // A page cannot read the machine's id: it sends one only when given.
      resolveConfig: async () => ({
        ...mergeSettings([{ source: "options", values: explicit }]),
        ...(await machineIdToSend({ value: explicit.machineId, source: "options" }, async () => undefined)),
        user: options.user,
        machine: options.machine,
        ...(options.terminalSession ? { terminalSession: options.terminalSession } : {}),
        ...(options.clientVersion ? { clientVersion: options.clientVersion } : {}),
      }),
      journal: storage ? new StorageJournal(storage) : new MemoryJournal(),
      leases: new MemoryLeaseStore(),
      jwksCache: new MemoryJwksCache(),
      policyHint: "pass them as options",
      // A page cannot set headers on a WebSocket: the token goes in the subprotocol.
      live: { WebSocket: (globalThis as { WebSocket?: LiveSocketConstructor }).WebSocket, auth: "subprotocol" },
    });
  }
}
