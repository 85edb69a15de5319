import type { ErrorCode } from "../src/contract/errors.js";
import { messages } from "../src/contract/messages.js";
import type { StaffRole } from "../src/contract/schemas.js";
import { roleMatrix, roleMay, type AdminAction, type Role } from "./decisions.js";

/** Error details: plain values that cross the RPC boundary (an `unknown` would erase the type). */
export type Detail = string | number | boolean | null | { path: string; message: string }[] | Record<string, string | boolean | null>[];

/** What a pool object answers over RPC: plain data, or a contract error for the Worker to send. */
export interface Failure {
  ok: false;
  code: ErrorCode;
  message: string;
  details?: Record<string, Detail>;
  /** What was not found, for callers that answer differently (the dashboard); never sent to clients. */
  resource?: "pool" | "seat";
}
export type Outcome<T> = ({ ok: true } & T) | Failure;

export function failure(code: ErrorCode, message: string, details?: Record<string, Detail>): Failure {
  return details === undefined ? { ok: false, code, message } : { ok: false, code, message, details };
}

/** A member of the vendor's staff, as the Worker found them by their token or their sign-in. */
export interface StaffActor {
  staffId: string;
  email: string;
  role: StaffRole;
}

/**
 * Who is acting on a pool: the vendor (a staff member, or the ADMIN_TOKEN when `staff` is
 * absent), or one of the pool's admins by the hash of their key (checked by the object).
 */
export type Actor =
  | { role: "vendor"; staff?: StaffActor }
  | { role: "admin"; keyHash: string }
  /** a pool admin signed in to the dashboard through the pool's own identity provider (the Worker verified the ID token) */
  | { role: "admin"; ssoEmail: string };

/** The role an actor acts in, as the role matrix (decisions.ts) names it. */
export function roleOf(actor: Actor): Role {
  return actor.role === "admin" ? "admin" : (actor.staff?.role ?? "vendor");
}

/** The matrix's answer for an actor: nothing when allowed, else `forbidden` naming the role. */
export function refusedRole(actor: Actor, action: AdminAction, message?: string): Failure | undefined {
  const role = roleOf(actor);
  if (roleMay(role, action)) return undefined;
  return failure("forbidden", message ?? messages.roleMayNot(role, roleMatrix[action].what), { role });
}
