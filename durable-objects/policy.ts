/**
 * The pool's policy (issue 12) as pure functions over plain data: the term, the
 * overdraft, the blocklist and the groups' reserved and capped seats. Each answers allow
 * or refuse with a reason; the checkout plan calls them, so a policy decision is taken in
 * the same transaction as the seat it is about. No storage, no clock.
 */
import { foldText } from "../src/contract/text.js";
import { DAY } from "../src/contract/time.js";

/** A blocklist entry as the contract has it: every field given must match (a trailing `*` matches any rest). */
export interface BlockRule {
  user?: string;
  machine?: string;
  note?: string;
}

/** A group's limits as the contract has them. */
export interface GroupLimits {
  reserved?: number;
  max?: number;
}

/** The groups, keyed by their folded name, with the name as the admin wrote it. */
export type GroupTable = Map<string, GroupLimits & { name: string }>;

// ---- term ------------------------------------------------------------------

/** Checkout answers warn this long before the term ends. */
export const EXPIRING_WITHIN = 14 * DAY;

export type TermVerdict = "ok" | "not_started" | "ended";

/** Inside the term when `validFrom <= now < validUntil`; a missing bound is open. */
export function judgeTerm(now: number, validFrom: number | null, validUntil: number | null): TermVerdict {
  if (validFrom !== null && now < validFrom) return "not_started";
  if (validUntil !== null && now >= validUntil) return "ended";
  return "ok";
}

/** True when a checkout answer should carry the `pool_expiring` warning. */
export function isExpiring(now: number, validUntil: number | null): boolean {
  return validUntil !== null && now < validUntil && validUntil - now <= EXPIRING_WITHIN;
}

// ---- blocklist -------------------------------------------------------------

/** A pattern against a value, both compared as identities are; a trailing `*` matches any rest (or none). */
export function patternMatches(pattern: string, value: string): boolean {
  const v = foldText(value);
  if (pattern.endsWith("*")) return v.startsWith(foldText(pattern.slice(0, -1)));
  return v === foldText(pattern);
}

/** The first rule that blocks this user on this machine: a rule matches when each of its fields does. */
export function blockingRule(rules: readonly BlockRule[], user: string, machine: string): BlockRule | undefined {
  return rules.find(
    (r) =>
      (r.user !== undefined || r.machine !== undefined) &&
      (r.user === undefined || patternMatches(r.user, user)) &&
      (r.machine === undefined || patternMatches(r.machine, machine)),
  );
}

// ---- seats: overdraft and groups ------------------------------------------

/** The figures a seat decision reads: the pool's, the groups', and how many seats each group holds (folded names). */
export interface SeatFigures {
  seats: number;
  overdraftSeats: number | null;
  inUse: number;
  groups: GroupTable;
  groupInUse: ReadonlyMap<string, number>;
}

export type TakeVerdict =
  | { verdict: "take"; overdraft: boolean }
  | { verdict: "group_full"; group: string; max: number; inUse: number }
  | { verdict: "full" };

/** Seats kept free for the groups other than `group` (folded, or null for none): each group's reserved seats it does not yet hold. */
export function heldBackFor(f: SeatFigures, group: string | null): number {
  let held = 0;
  for (const [key, g] of f.groups) {
    if (key === group || !g.reserved) continue;
    held += Math.max(0, g.reserved - (f.groupInUse.get(key) ?? 0));
  }
  return held;
}

/**
 * A new seat for a member of `group` (folded; null or an unknown group is no group):
 * refused at the group's `max`, refused as full when only other groups' reserved seats
 * are left, and marked overdraft beyond `seats` up to `seats + overdraftSeats`.
 */
export function decideTake(f: SeatFigures, group: string | null): TakeVerdict {
  const key = group !== null && f.groups.has(group) ? group : null;
  if (key !== null) {
    const g = f.groups.get(key)!;
    const held = f.groupInUse.get(key) ?? 0;
    if (g.max !== undefined && held >= g.max) return { verdict: "group_full", group: g.name, max: g.max, inUse: held };
  }
  const capacity = f.seats + (f.overdraftSeats ?? 0);
  if (f.inUse + heldBackFor(f, key) >= capacity) return { verdict: "full" };
  return { verdict: "take", overdraft: f.inUse + 1 > f.seats };
}

/**
 * Which waiter a freed seat goes to, for the queue: a seat freed by a group that is now
 * below its reservation goes to that group's first waiter; otherwise to the first waiter,
 * in queue order, whom `decideTake` would give a seat. `waiting` holds each waiter's group
 * (folded, or null) in queue order, and `f` the figures after the seat was freed. Answers
 * the waiter's index, or null when nobody may take it.
 */
export function waiterForFreedSeat(f: SeatFigures, freedGroup: string | null, waiting: readonly (string | null)[]): number | null {
  const g = freedGroup === null ? undefined : f.groups.get(freedGroup);
  if (g?.reserved && (f.groupInUse.get(freedGroup!) ?? 0) < g.reserved) {
    const own = waiting.indexOf(freedGroup);
    if (own >= 0) return own;
  }
  const i = waiting.findIndex((w) => decideTake(f, w).verdict === "take");
  return i >= 0 ? i : null;
}

// ---- settings --------------------------------------------------------------

/** The groups table from the stored setting. */
export function groupTable(groups: Record<string, GroupLimits> | null): GroupTable {
  const t: GroupTable = new Map();
  for (const [name, limits] of Object.entries(groups ?? {})) t.set(foldText(name), { ...limits, name });
  return t;
}

export interface PolicyIssue {
  path: string;
  message: string;
}

/** The policy settings a PATCH leads to, checked together (one may be changed without the others). */
export interface PolicySettings {
  seats: number;
  validFrom: number | null;
  validUntil: number | null;
  blocked: readonly BlockRule[] | null;
  groups: Record<string, GroupLimits> | null;
}

/** What the schemas cannot see alone: the term's order, groups whose names compare equal, reservations beyond the seats. */
export function policyIssues(s: PolicySettings): PolicyIssue[] {
  const issues: PolicyIssue[] = [];
  if (s.validFrom !== null && s.validUntil !== null && s.validFrom >= s.validUntil) {
    issues.push({ path: "validUntil", message: "must be after validFrom" });
  }
  (s.blocked ?? []).forEach((r, i) => {
    if (r.user === undefined && r.machine === undefined) issues.push({ path: `blocked.${i}`, message: "name a user, a machine, or both" });
    for (const field of ["user", "machine"] as const) {
      const p = r[field];
      if (p !== undefined && p.slice(0, -1).includes("*")) issues.push({ path: `blocked.${i}.${field}`, message: "`*` may only end a pattern" });
    }
  });
  const seen = new Map<string, string>();
  let reserved = 0;
  for (const [name, g] of Object.entries(s.groups ?? {})) {
    const key = foldText(name);
    const other = seen.get(key);
    if (other !== undefined) issues.push({ path: `groups.${name}`, message: `is the same name as "${other}" (names compare as user names do)` });
    seen.set(key, name);
    if (g.reserved !== undefined && g.max !== undefined && g.reserved > g.max) issues.push({ path: `groups.${name}.reserved`, message: "must not be more than max" });
    reserved += g.reserved ?? 0;
  }
  if (reserved > s.seats) issues.push({ path: "groups", message: `the reserved seats add up to ${reserved}, more than the pool's ${s.seats} seats` });
  return issues;
}
