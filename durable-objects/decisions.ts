/**
 * The pool's decisions as plain functions over plain data: no storage, no clock,
 * so each rule is tested on its own and read in one place.
 */
import { compareVersions, foldText } from "../src/contract/text.js";
import { digestsEqual } from "./constant-time.js";

/** One place turns an identity into its key: each part folded as names are compared (`foldText`). */
export function identityKey(user: string, machine: string, terminalSession: string | null | undefined): string {
  return JSON.stringify([foldText(user), foldText(machine), foldText(terminalSession ?? "")]);
}


export type CredentialVerdict = "ok" | "revoked" | "invalid";

/**
 * A serial of the current generation with its key is good. An older generation whose
 * own key matches was replaced: say so, so the user asks for the new pair.
 */
export function judgeCredentials(
  current: { generation: number; keyHash: string },
  presented: { generation: number; keyHash: string },
  keyHashOfGeneration: (generation: number) => string | undefined,
): CredentialVerdict {
  if (presented.generation === current.generation) {
    return digestsEqual(presented.keyHash, current.keyHash) ? "ok" : "invalid";
  }
  if (presented.generation < current.generation) {
    const old = keyHashOfGeneration(presented.generation);
    return old !== undefined && digestsEqual(presented.keyHash, old) ? "revoked" : "invalid";
  }
  return "invalid";
}

/** A pool with a minimum refuses clients below it and clients that do not say. */
export function versionAllowed(minClientVersion: string | null, clientVersion: string | undefined): boolean {
  if (minClientVersion === null) return true;
  if (clientVersion === undefined) return false;
  return compareVersions(clientVersion, minClientVersion) >= 0;
}

export type SeatVerdict = "join" | "take" | "full";

/** An identity that holds a seat joins it, even on a full pool; others take one while any is free. */
export function decideSeat(holdsSeat: boolean, inUse: number, seats: number): SeatVerdict {
  if (holdsSeat) return "join";
  return inUse < seats ? "take" : "full";
}

export type Role = "vendor" | "admin";
export type AdminAction = "read" | "update" | "update_seats" | "free" | "rotate_credentials" | "rotate_admin_key" | "export" | "erase";

/** Pool admins run their own pool but cannot buy themselves seats. */
export function roleMay(role: Role, action: AdminAction): boolean {
  return role === "vendor" || action !== "update_seats";
}
