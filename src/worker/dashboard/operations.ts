/**
 * What the dashboard does to pools, through the same pool-object RPC methods and in the
 * same way as the admin API (src/worker/routes/pools.ts): secrets are made and hashed
 * here in the Worker, the pool object checks the actor and decides.
 */
import type { PoolPatch, PoolState } from "../../../durable-objects/licence-pool.js";
import type { Actor, Outcome } from "../../../durable-objects/outcome.js";
import type { PoolEvent, Seat, UsageBucket } from "../../contract/schemas.js";
import { formatSerial, newAdminKey, newPoolId, newProductKey, normalizeKey, parseAdminKey, sha256Hex } from "../credentials.js";
import type { Env } from "../env.js";
import { directoryStub, poolStub } from "../pool-stub.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface PoolView {
  poolId: string;
  customer: string;
  seats: number;
  inUse: number;
  serial: string;
  minClientVersion: string | null;
  staleAfterHours: number | null;
  createdAt: string;
}

function view(p: PoolState): PoolView {
  return {
    poolId: p.poolId,
    customer: p.customer,
    seats: p.seats,
    inUse: p.inUse,
    serial: formatSerial(p.poolId, p.generation),
    minClientVersion: p.minClientVersion,
    staleAfterHours: p.staleAfterHours,
    createdAt: p.createdAt,
  };
}

export type UsageRange = "24h" | "30d";

export interface PoolPageData {
  pool: PoolView;
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
    pool: view(got.pool),
    seats: seats.seats,
    events: events.events.map((e) => ({ ...e, details: e.details === null ? null : (JSON.parse(e.details) as Record<string, unknown>) })),
    olderEvents: events.next,
    range,
    buckets: usage.buckets,
  };
}

export async function getPool(env: Env, actor: Actor, poolId: string): Promise<Outcome<{ pool: PoolView }>> {
  const out = await poolStub(env, poolId).getPool(actor);
  return out.ok ? { ok: true, pool: view(out.pool) } : out;
}

export async function findSeat(env: Env, actor: Actor, poolId: string, seatId: string): Promise<Outcome<{ seat: Seat | undefined }>> {
  const out = await poolStub(env, poolId).listSeats(actor);
  return out.ok ? { ok: true, seat: out.seats.find((s) => s.seatId === seatId) } : out;
}

export async function freeSeat(env: Env, actor: Actor, poolId: string, seatId: string) {
  return poolStub(env, poolId).freeSeat(actor, seatId);
}

export async function updatePool(env: Env, actor: Actor, poolId: string, patch: PoolPatch): Promise<Outcome<{ pool: PoolView }>> {
  const out = await poolStub(env, poolId).updatePool(actor, patch);
  if (!out.ok) return out;
  if (patch.customer !== undefined || patch.seats !== undefined) {
    await directoryStub(env).update(poolId, out.pool.customer, out.pool.seats);
  }
  return { ok: true, pool: view(out.pool) };
}

export async function rotateCredentials(env: Env, actor: Actor, poolId: string, endSessions: boolean): Promise<Outcome<{ serial: string; productKey: string; sessionsEnded: number }>> {
  const productKey = newProductKey();
  const out = await poolStub(env, poolId).rotateCredentials(actor, await sha256Hex(normalizeKey(productKey)), endSessions);
  if (!out.ok) return out;
  return { ok: true, serial: formatSerial(poolId, out.generation), productKey, sessionsEnded: out.sessionsEnded };
}

export async function rotateAdminKey(env: Env, actor: Actor, poolId: string): Promise<Outcome<{ adminKey: string; keyHash: string }>> {
  const adminKey = newAdminKey(poolId);
  const keyHash = await sha256Hex(parseAdminKey(adminKey)!.normalized);
  const out = await poolStub(env, poolId).rotateAdminKey(actor, keyHash);
  return out.ok ? { ok: true, adminKey, keyHash } : out;
}

export interface NewPool {
  customer: string;
  seats: number;
  minClientVersion: string | null;
  staleAfterHours: number | null;
}

export async function createPool(env: Env, input: NewPool): Promise<Outcome<{ pool: PoolView; productKey: string; adminKey: string }>> {
  const poolId = newPoolId();
  const productKey = newProductKey();
  const adminKey = newAdminKey(poolId);
  const out = await poolStub(env, poolId).create({
    poolId,
    ...input,
    keyHash: await sha256Hex(normalizeKey(productKey)),
    adminKeyHash: await sha256Hex(parseAdminKey(adminKey)!.normalized),
  });
  if (!out.ok) return out;
  await directoryStub(env).add({ poolId, customer: input.customer, seats: input.seats });
  return { ok: true, pool: view(out.pool), productKey, adminKey };
}

export interface PoolListEntry {
  poolId: string;
  customer: string;
  seats: number;
  inUse: number;
}

/** The vendor's list, as GET /v1/pools makes it: the directory's page, with each pool's live figures. */
export async function listPools(env: Env, limit: number, after: string | undefined): Promise<{ pools: PoolListEntry[]; next: string | null }> {
  const page = await directoryStub(env).list(limit, after);
  const pools = await Promise.all(
    page.pools.map(async (entry) => {
      const live = await poolStub(env, entry.poolId).summaryForVendor();
      return { poolId: entry.poolId, customer: live?.customer ?? entry.customer, seats: live?.seats ?? entry.seats, inUse: live?.inUse ?? 0 };
    }),
  );
  return { pools, next: page.next };
}
