/**
 * Helpers for the SDK and CLI tests: isolated clients (their own config folder, no
 * machine policy, no inherited SEATKEEPER_* variables), pools made through the admin
 * API, and a TCP relay whose closing stands in for the network dropping.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { SeatkeeperAdmin, SeatkeeperClient, type CreatePoolResponse, type NodeClientOptions } from "../../src/client/index.js";
import { startLocalServer, type LocalServer } from "./local-server";

const tempDirs: string[] = [];

/** A fresh folder under the system's temporary folder, removed by `removeTempDirs()`. */
export function tempDir(prefix = "seatkeeper-test-"): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function vendor(server: LocalServer): SeatkeeperAdmin {
  return new SeatkeeperAdmin({ url: server.url, token: server.vendorToken });
}

/** The admin API as the pool's own admin key calls it. */
export function poolAdmin(server: LocalServer, pool: CreatePoolResponse): SeatkeeperAdmin {
  return new SeatkeeperAdmin({ url: server.url, token: pool.adminKey });
}

export function createPool(server: LocalServer, seats: number, extra: { minClientVersion?: string; customer?: string } = {}): Promise<CreatePoolResponse> {
  return vendor(server).createPool({ customer: extra.customer ?? "Test Ltd", seats, ...(extra.minClientVersion ? { minClientVersion: extra.minClientVersion } : {}) });
}

let identities = 0;
/** A user name no other test uses, so seats are never shared by accident. */
export function uniqueUser(prefix = "user"): string {
  return `${prefix}-${process.pid}-${++identities}`;
}

/** A client that reads nothing from this machine: options only, its own config folder. */
export function isolatedClient(options: NodeClientOptions & { url: string }): SeatkeeperClient {
  return new SeatkeeperClient({
    configDir: options.configDir ?? tempDir("seatkeeper-config-"),
    policyFile: options.policyFile ?? path.join(tempDir(), "no-policy.json"),
    registry: false,
    env: options.env ?? {},
    machine: options.machine ?? "PC-TEST",
    user: options.user ?? uniqueUser(),
    retries: options.retries ?? 0,
    ...options,
  });
}

export function clientFor(server: LocalServer, pool: CreatePoolResponse, options: NodeClientOptions = {}): SeatkeeperClient {
  return isolatedClient({ url: server.url, serial: pool.serial, productKey: pool.productKey, ...options });
}

/**
 * What many test files start before their tests: the local server and a pool of `seats`
 * on it. When the pool cannot be made the server is stopped again, as `cleanUp` would.
 */
export async function startServerWithPool(seats: number, extra: { minClientVersion?: string; customer?: string } = {}): Promise<{ server: LocalServer; pool: CreatePoolResponse }> {
  const server = await startLocalServer();
  try {
    return { server, pool: await createPool(server, seats, extra) };
  } catch (e) {
    await server.dispose();
    throw e;
  }
}

/** What those files end with: the server stopped (when it started) and the temporary folders removed. */
export async function cleanUp(server: LocalServer | undefined): Promise<void> {
  await server?.dispose();
  removeTempDirs();
}

export async function inUse(server: LocalServer, poolId: string): Promise<number> {
  return (await vendor(server).getPool(poolId)).inUse;
}

// The relay is the one in relay-helpers.ts; closing it stands in for the network dropping.
export { Relay as TcpRelay } from "./relay-helpers";
