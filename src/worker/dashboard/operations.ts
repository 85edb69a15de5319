/**
 * What the dashboard does to pools: the shared operations of ../pool-operations.ts (the
 * admin API uses the same ones), and what only the dashboard's pages need.
 */
import type { Actor, Outcome } from "../../../durable-objects/outcome.js";
import type { PoolDetails, PoolEvent, Seat, UsageBucket } from "../../contract/schemas.js";
import type { Env } from "../env.js";
import { parseEvents, poolDetails } from "../pool-operations.js";
import { poolStub } from "../pool-stub.js";

export { createPool, getPool, listPools, rotateAdminKey, rotateCredentials, updatePool, type NewPool, type PoolListEntry } from "../pool-operations.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

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
  const stub = poolStub(env, poolId);
  const got = await stub.getPool(actor);
  if (!got.ok) return got;
  const to = Date.now();
  const [seats, events, usage] = await Promise.all([
    stub.listSeats(actor),
    stub.events(actor, 25, before),
    range === "24h" ? stub.usage(actor, to - 23 * HOUR, to, "hour") : stub.usage(actor, to - 29 * DAY, to, "day"),
  ]);
  if (!seats.ok) return seats;
  if (!events.ok) return events;
  if (!usage.ok) return usage;
  return {
    ok: true,
    pool: poolDetails(got.pool),
    seats: seats.seats,
    events: parseEvents(events.events),
    olderEvents: events.next,
    range,
    buckets: usage.buckets,
  };
}

export async function findSeat(env: Env, actor: Actor, poolId: string, seatId: string): Promise<Outcome<{ seat: Seat | undefined }>> {
  const out = await poolStub(env, poolId).listSeats(actor);
  return out.ok ? { ok: true, seat: out.seats.find((s) => s.seatId === seatId) } : out;
}

export async function freeSeat(env: Env, actor: Actor, poolId: string, seatId: string) {
  return poolStub(env, poolId).freeSeat(actor, seatId);
}
