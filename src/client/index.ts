/**
 * The Seatkeeper SDK for Node (desktop applications, Electron, scripts). Browsers get
 * src/client/browser.ts through the package's "browser" export condition.
 */
export * from "./errors.js";
export * from "./config.js";
export * from "./journal.js";
export * from "./machine-id.js";
export * from "./token.js";
export * from "./lease.js";
export { Transport, normalizeServiceUrl, DEFAULT_TIMEOUT_MS, type TransportOptions, type RequestOptions } from "./transport.js";
export { SeatkeeperAdmin, type AdminOptions } from "./admin-client.js";
export { LIVE_SUBPROTOCOL, liveUrl, type LiveOptions, type LiveState, type LiveSocket, type LiveSocketConstructor } from "./live-channel.js";
export {
  SeatkeeperClientCore, type CheckoutOptions, type ClientOptions, type ClientPlatform, type CheckoutResult, type HeartbeatOptions, type ReleaseResult, type ReplayReport, type ResolvedConfig,
} from "./session-client.js";
export { SeatkeeperClient, resolveNodeConfig, type NodeClientOptions } from "./node/client.js";
export { FileJournal, processIsAlive } from "./node/file-journal.js";
export { FileJwksCache } from "./node/file-jwks-cache.js";
export { FileLeaseStore } from "./node/file-lease-store.js";
export { nodeHttpFetch, fetchFor, transportFromSettings, transportNames, type TransportName } from "./node/http-fetch.js";
export { defaultIdentity, terminalSessionFromEnv, type Identity } from "./node/identity.js";
export { readSystemMachineId, LINUX_MACHINE_ID_FILES, WINDOWS_MACHINE_KEY, type MachineIdSources } from "./node/machine-id.js";
export { defaultConfigDir, defaultPolicyFile } from "./node/paths.js";
export { loadSettings, parseRegQueryOutput, regQueryValues, type SettingsSources } from "./node/settings.js";
export type * from "../contract/schemas.js";
