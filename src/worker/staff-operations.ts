/**
 * The vendor's staff: one function per operation, shared by the admin API and the
 * dashboard. Tokens are made and hashed here; the directory object stores only hashes.
 */
import type { Outcome } from "../../durable-objects/outcome.js";
import type { CreateStaffRequest, StaffMember, UpdateStaffRequest } from "../contract/schemas.js";
import { newStaffId, newStaffToken, parseStaffToken, sha256Hex } from "./credentials.js";
import type { Env } from "./env.js";
import { directoryStub } from "./pool-stub.js";

const tokenHash = (token: string) => sha256Hex(parseStaffToken(token)!);

export async function createStaff(env: Env, input: CreateStaffRequest): Promise<Outcome<{ staff: StaffMember; token: string }>> {
  const token = newStaffToken();
  const out = await directoryStub(env).addStaff({ staffId: newStaffId(), ...input, tokenHash: await tokenHash(token) });
  return out.ok ? { ok: true, staff: out.staff, token } : out;
}

export function listStaff(env: Env): Promise<StaffMember[]> {
  return directoryStub(env).listStaff();
}

/** Disabling a person ends their token's use and their dashboard sessions at once. */
export function updateStaff(env: Env, staffId: string, patch: UpdateStaffRequest): Promise<Outcome<{ staff: StaffMember }>> {
  return directoryStub(env).updateStaff(staffId, patch);
}

export function removeStaff(env: Env, staffId: string): Promise<Outcome<{ removed: true }>> {
  return directoryStub(env).removeStaff(staffId);
}

/** A new token for a person; the old one stops working. */
export async function replaceStaffToken(env: Env, staffId: string): Promise<Outcome<{ staff: StaffMember; token: string }>> {
  const token = newStaffToken();
  const out = await directoryStub(env).replaceStaffToken(staffId, await tokenHash(token));
  return out.ok ? { ok: true, staff: out.staff, token } : out;
}
