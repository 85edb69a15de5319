/**
 * What the dashboard's pages read, composed from ../pool-operations.ts (the one admin
 * path, the admin API's too); the dashboard calls no pool object itself.
 */
import type { Actor, Outcome } from "../../../durable-objects/outcome.js";
import type { AdviceResponse, PoolDetails, PoolEvent, QueueResponse, Seat, UsageBucket } from "../../contract/schemas.js";
import type { Env } from "../env.js";
import { getPool, listEvents, listQueue, listSeats, seatAdvice, usage } from "../pool-operations.js";

export { poolOidc } from "./oidc.js";
export {
  createPool, deletePool, erasePerson, listQueue, removeFromQueue, exportPool, freeSeat, getSeat, listEvents, listPools, auditCredentialFailure, rotateAdminKey, rotateCredentials, updatePool, type NewPool, type PoolListEntry,
} from "../pool-operations.js";
export {
  createVendorWebhook, createWebhook, getPool, listVendorWebhooks, listWebhooks, removeVendorWebhook, removeWebhook, webhookDeliveries,
} from "../pool-operations.js";

export type UsageRange = "24h" | "30d";

/** Seats a page of the pool page shows. */
export const SEATS_PER_PAGE = 100;

/** Which seats the pool page shows: a search (by user or machine, as identities compare) and a page of it. */
export interface SeatsView {
  q: string;
  /** The `next` of the page before; absent on the first page. */
  cursor?: string;
  /** Which page this is, counted from 1, only to say "seats 101–200"; the cursor decides what is read. */
  page: number;
}

export interface PoolPageData {
  pool: PoolDetails;
  seats: Seat[];
  /** The cursor of the next page of seats, or null on the last. */
  seatsNext: string | null;
  /** Seats in use that match the search (all of them without one). */
  seatsTotal: number;
  view: SeatsView;
  events: PoolEvent[];
  olderEvents: string | null;
  range: UsageRange;
  buckets: UsageBucket[];
  /** Who waits for a seat, first in line first (absent: nobody). */
  waiting?: QueueResponse["waiting"];
  /** Seat advice on the last 30 days, shown beside the usage chart; absent when it could not be read. */
  advice?: AdviceResponse | null;
}

/** Everything the pool page shows. The pool is read first so a wrong key is refused (and logged) once. */
export async function loadPoolPage(
  env: Env, actor: Actor, poolId: string, range: UsageRange, before: number | undefined, view: SeatsView,
): Promise<Outcome<PoolPageData>> {
  const got = await getPool(env, actor, poolId);
  if (!got.ok) return got;
  const [seats, events, buckets, queue, advice] = await Promise.all([
    listSeats(env, actor, poolId, { limit: SEATS_PER_PAGE, cursor: view.cursor, q: view.q === "" ? undefined : view.q }),
    listEvents(env, actor, poolId, 25, before),
    usage(env, actor, poolId, { bucket: range === "24h" ? "hour" : "day" }),
    listQueue(env, actor, poolId),
    seatAdvice(env, actor, poolId, 30),
  ]);
  if (!seats.ok) return seats;
  if (!events.ok) return events;
  if (!buckets.ok) return buckets;
  if (!queue.ok) return queue;
  return {
    ok: true, pool: got.pool, seats: seats.seats, seatsNext: seats.next, seatsTotal: seats.total, view,
    events: events.events, olderEvents: events.next, range, buckets: buckets.buckets, waiting: queue.waiting,
    advice: advice.ok ? advice.advice : null,
  };
}
