/**
 * The `machineId` a checkout sends (shared/api.md, "Identities, limits and paging"): a
 * seat taken with one is joined only from the same machine, so one identity copied to a
 * whole team's PCs no longer shares one seat. Platform neutral: reading the operating
 * system's id is Node's job (node/machine-id.ts).
 *
 * The service gets a SHA-256 of the id, never the id itself. It binds a seat exactly as
 * well, but a raw MachineGuid or /etc/machine-id is a lifelong identifier of a person's
 * computer that other software also reads (systemd asks applications to hash it with an
 * application key for this reason, sd_id128_get_machine_app_specific); hashed under a
 * Seatkeeper prefix it cannot be matched with any other product's records or reversed.
 */

/** The setting's value that turns the machine id off: the checkout then sends none. */
export const MACHINE_ID_OFF = "none";

/** Domain separation: the hash of an id here is never the hash another product computes. */
const HASH_PREFIX = "seatkeeper.machine-id.v1\n";

/** Hex SHA-256 of the id (trimmed, case folded: a GUID is the same GUID in either case). */
export async function hashMachineId(raw: string): Promise<string> {
  const bytes = new TextEncoder().encode(HASH_PREFIX + raw.trim().toLowerCase());
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** True when a configured value asks for no machine id at all. */
export function machineIdTurnedOff(value: string | undefined): boolean {
  return value !== undefined && value.trim().toLowerCase() === MACHINE_ID_OFF;
}

/**
 * The machine id to send: the configured value (`none` for none) wins over the one the
 * operating system gives; either is hashed. Undefined when there is none to send.
 */
export async function machineIdToSend(
  configured: { value?: string; source?: string },
  fromSystem: () => Promise<{ value: string; source: string } | undefined>,
): Promise<{ machineId?: string; machineIdSource: string }> {
  if (machineIdTurnedOff(configured.value)) return { machineIdSource: `turned off (${configured.source ?? "options"})` };
  if (configured.value?.trim()) return { machineId: await hashMachineId(configured.value), machineIdSource: configured.source ?? "options" };
  const system = await fromSystem().catch(() => undefined);
  if (!system) return { machineIdSource: "none found on this machine" };
  return { machineId: await hashMachineId(system.value), machineIdSource: system.source };
}
