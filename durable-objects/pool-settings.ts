/** A PATCH of a pool's settings as a pure step: the row it leads to and what changed, for the audit log. */
import type { PoolRow } from "./pool-store.js";
import type { PoolPatch } from "./rpc-types.js";

/** Each setting of the contract and the column that stores it. */
const settingColumns = [
  ["seats", "seats"],
  ["customer", "customer"],
  ["minClientVersion", "min_client_version"],
  ["staleAfterHours", "stale_after_hours"],
  ["maxSessionsPerSeat", "max_sessions_per_seat"],
  ["maxAddressesPerSeat", "max_addresses_per_seat"],
  ["maxBorrowDays", "max_borrow_days"],
  ["maxBorrowedSeats", "max_borrowed_seats"],
  ["overdraftSeats", "overdraft_seats"],
  ["retentionDays", "retention_days"],
  ["alertThresholdPercent", "alert_threshold_percent"],
  ["reclaimIdleMinutes", "reclaim_idle_minutes"],
  ["reclaimGraceMinutes", "reclaim_grace_minutes"],
] as const satisfies readonly (readonly [keyof PoolPatch, keyof PoolRow])[];

export type SettingChanges = Partial<Record<keyof PoolPatch, { from: string | number | boolean | null; to: string | number | boolean | null }>>;

export function applyPatch(p: PoolRow, patch: PoolPatch): { next: PoolRow; changes: SettingChanges } {
  const next: PoolRow = { ...p };
  const changes: SettingChanges = {};
  for (const [field, column] of settingColumns) {
    const value = patch[field];
    if (value === undefined || value === p[column]) continue;
    Object.assign(next, { [column]: value });
    changes[field] = { from: p[column], to: value };
  }
  // a flag is stored as 0 or 1
  const refuse = patch.refuseWidelySharedSeats;
  if (refuse !== undefined && (refuse ? 1 : 0) !== p.refuse_widely_shared_seats) {
    next.refuse_widely_shared_seats = refuse ? 1 : 0;
    changes.refuseWidelySharedSeats = { from: p.refuse_widely_shared_seats === 1, to: refuse };
  }
  // stored as JSON; the audit log says what changed, never the client secret
  if (patch.sso !== undefined) {
    const sso = patch.sso === null ? null : JSON.stringify(patch.sso);
    if (sso !== p.sso) {
      next.sso = sso;
      const shown = (v: string | null) => (v === null ? null : `${(JSON.parse(v) as { issuer: string }).issuer} for ${(JSON.parse(v) as { allowedDomains: string[] }).allowedDomains.join(", ")}`);
      changes.sso = { from: shown(p.sso), to: shown(sso) };
    }
  }
  // pool policy: the term as ms, the lists as JSON
  for (const [field, column] of [["validFrom", "valid_from"], ["validUntil", "valid_until"]] as const) {
    const value = patch[field];
    if (value === undefined) continue;
    const ms = value === null ? null : Date.parse(value);
    if (ms === p[column]) continue;
    next[column] = ms;
    changes[field] = { from: p[column] === null ? null : new Date(p[column]!).toISOString(), to: ms === null ? null : new Date(ms).toISOString() };
  }
  for (const field of ["blocked", "groups"] as const) {
    const value = patch[field];
    if (value === undefined) continue;
    const json = value === null ? null : JSON.stringify(value);
    if (json === p[field]) continue;
    next[field] = json;
    changes[field] = { from: p[field], to: json };
  }
  const selfRelease = patch.selfRelease;
  if (selfRelease !== undefined && (selfRelease ? 1 : 0) !== p.self_release) {
    next.self_release = selfRelease ? 1 : 0;
    changes.selfRelease = { from: p.self_release === 1, to: selfRelease };
  }
  return { next, changes };
}

/** Who may change what: seats, the term and the overdraft are the vendor's (what the customer bought). */
export function patchAction(patch: PoolPatch): "update_seats" | "update" {
  const vendorOnly = [patch.seats, patch.validFrom, patch.validUntil, patch.overdraftSeats];
  return vendorOnly.some((v) => v !== undefined) ? "update_seats" : "update";
}
