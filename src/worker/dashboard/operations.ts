/**
 * What the dashboard's pages read, composed from ../pool-operations.ts (the one admin
 * path, the admin API's too); the dashboard calls no pool object itself.
 */
import type { Actor, Outcome } from "../../../durable-objects/outcome.js";
import type { PoolDetails, PoolEvent, Seat, UsageBucket } from "../../contract/schemas.js";
import type { Env } from "../env.js";
import { getPool, listEvents, listSeats, usage } from "../pool-operations.js";

export {
  createPool, freeSeat, listEvents, listPools, recordAuthFailure, rotateAdminKey, rotateCredentials, updatePool, type NewPool, type PoolListEntry,
} from "../pool-operations.js";

export type UsageRange = "24h" | "30d";

export interface PoolPageData {
  pool: PoolDetails;
  seats: Seat[];
  events: PoolEvent[];
  olderEvents: string | null;
  range: UsageRange;
  buckets: UsageBucket[];
}

/** Everything the pool page shows. The pool is read first so a wrong key is refused (and logged) once. */
export async function loadPoolPage(env: Env, actor: Actor, poolId: string, range: UsageRange, before: number | undefined): Promise<Outcome<PoolPageData>> {
  const got = await getPool(env, actor, poolId);
  if (!got.ok) return got;
  const [seats, events, buckets] = await Promise.all([
    listSeats(env, actor, poolId),
    listEvents(env, actor, poolId, 25, before),
    usage(env, actor, poolId, { bucket: range === "24h" ? "hour" : "day" }),
  ]);
  if (!seats.ok) return seats;
  if (!events.ok) return events;
  if (!buckets.ok) return buckets;
  return { ok: true, pool: got.pool, seats: seats.seats, events: events.events, olderEvents: events.next, range, buckets: buckets.buckets };
}

/** The seat to name on a confirmation page, if it is still in use. */
export async function findSeat(env: Env, actor: Actor, poolId: string, seatId: string): Promise<Outcome<{ seat: Seat | undefined }>> {
  const out = await listSeats(env, actor, poolId);
  return out.ok ? { ok: true, seat: out.seats.find((s) => s.seatId === seatId) } : out;
}

/** Who held a seat just freed, from the newest `freed` event for it (the free itself answers counts only). */
export async function freedSeatHolder(env: Env, actor: Actor, poolId: string, seatId: string): Promise<PoolEvent | undefined> {
  const out = await listEvents(env, actor, poolId, 20, undefined);
  return out.ok ? out.events.find((e) => e.type === "freed" && e.seatId === seatId) : undefined;
}
