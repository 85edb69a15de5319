/**
 * The pool's decisions as plain functions over plain data: no storage, no clock,
 * so each rule is tested on its own and read in one place.
 */
import { compareVersions, foldText } from "../src/contract/text.js";
import { digestsEqual } from "./constant-time.js";
import type { StaffRole } from "../src/contract/schemas.js";

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

/** A staff role, `vendor` (the ADMIN_TOKEN, break-glass: an owner), or `admin` (a pool's admin, on that pool alone). */
export type Role = StaffRole | "vendor" | "admin";
export type AdminAction =
  | "read" | "update" | "update_seats" | "free" | "rotate_credentials" | "rotate_admin_key"
  | "manage_admins" | "list_pools" | "create_pool" | "manage_staff" | "export" | "erase" | "delete_pool"
  | "read_vendor_webhooks" | "manage_vendor_webhooks";

const everyone = ["vendor", "owner", "sales", "support", "viewer", "admin"] as const;
const staffSupport = ["vendor", "owner", "sales", "support", "admin"] as const;
const staffSales = ["vendor", "owner", "sales", "admin"] as const;

/**
 * The role matrix, the one table of who may do what: the Worker's auth middleware asks it
 * for vendor-wide actions, a pool object's `authorise` for actions on the pool.
 */
export const roleMatrix: Record<AdminAction, { may: readonly Role[]; what: string }> = {
  read: { may: everyone, what: "read this pool" },
  update: { may: staffSales, what: "change this pool's settings" },
  update_seats: { may: ["vendor", "owner", "sales"], what: "change the number of seats" },
  free: { may: staffSupport, what: "free seats" },
  rotate_credentials: { may: staffSupport, what: "reissue the serial number and product key" },
  rotate_admin_key: { may: staffSupport, what: "issue admin keys" },
  manage_admins: { may: staffSupport, what: "add or remove pool admins" },
  list_pools: { may: ["vendor", "owner", "sales", "support", "viewer"], what: "list pools" },
  create_pool: { may: ["vendor", "owner", "sales"], what: "create pools" },
  manage_staff: { may: ["vendor", "owner"], what: "manage the vendor's staff" },
  export: { may: staffSupport, what: "export this pool's records" },
  erase: { may: staffSupport, what: "erase a person's names from this pool" },
  delete_pool: { may: ["vendor", "owner", "sales"], what: "delete pools" },
  read_vendor_webhooks: { may: ["vendor", "owner", "sales", "support", "viewer"], what: "read the vendor-wide webhooks" },
  // a vendor-wide subscription receives every customer's user and machine names: as weighty as managing staff
  manage_vendor_webhooks: { may: ["vendor", "owner"], what: "add or remove vendor-wide webhooks" },
};

export function roleMay(role: Role, action: AdminAction): boolean {
  return roleMatrix[action].may.includes(role);
}
