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
  ["alertThresholdPercent", "alert_threshold_percent"],
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
  return { next, changes };
}
