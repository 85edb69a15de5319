/**
 * One function per admin operation on pools: the only admin path, shared by the admin
 * API (routes/) and the dashboard. Secrets are made and hashed here in the Worker; the
 * pool object checks the actor and decides. Each answers an Outcome, never throws for a
 * refusal, so each caller shapes a refusal its own way (a JSON error, a page, a flash).
 */
import { failure, refusedRole, type Actor, type Failure, type Outcome } from "../../durable-objects/outcome.js";
import type { AuthFailure, CreatePoolInput, PoolPatch, PoolState, StoredEvent } from "../../durable-objects/rpc-types.js";
import type { SeatHolder } from "../../durable-objects/licence-pool.js";
import type { SeatsPage } from "../../durable-objects/seat-list.js";
import type { AdviceResponse, CreateWebhookRequest, Delivery, ErasureRequest, ErasureResponse, LocationHint, PoolAdmin, PoolDetails, PoolEvent, PoolSummary, Region, Seat, UsageBucket, Webhook } from "../contract/schemas.js";
import { exportKinds } from "../../durable-objects/pool-data.js";
import { messages } from "../contract/messages.js";
import { DAY, HOUR } from "../contract/time.js";
import { formatSerial, newAdminKey, newPoolId, newProductKey, normalizeKey, parseAdminKey, sha256Hex } from "./credentials.js";
import type { Env } from "./env.js";
import { directoryStub, poolStub } from "./pool-stub.js";
import { webhookUrlProblem } from "./webhook-url.js";

/** A pool as the contract shows it: the serial is formatted from the current generation. */
export function poolDetails(p: PoolState): PoolDetails {
  const { generation, ...details } = p;
  return { ...details, serial: formatSerial(p.poolId, generation) };
}

/** Events as the contract shows them: the object keeps `details` as JSON text. */
function parseEvents(events: StoredEvent[]): PoolEvent[] {
  return events.map((e) => ({ ...e, details: e.details === null ? null : (JSON.parse(e.details) as Record<string, unknown>) }));
}

/** A new pool's settings, as the contract's request settles them (defaults applied, absent as null). */
export type NewPool = Omit<CreatePoolInput, "poolId" | "keyHash" | "adminKeyHash">;

/** Who an actor is in the audit log: `staff:<email>` or `vendor` (a pool admin is named by its pool, which knows its name). */
export function vendorName(actor: Actor): string {
  return actor.role === "vendor" && actor.staff ? `staff:${actor.staff.email}` : "vendor";
}

export async function createPool(env: Env, input: NewPool, actor: Actor): Promise<Outcome<{ pool: PoolDetails; productKey: string; adminKey: string }>> {
  // the role matrix, for the dashboard's form as for the API's middleware
  const refused = refusedRole(actor, "create_pool");
  if (refused) return refused;
  // the region is in the id, so the serial and admin key lead every later request to the right namespace
  const poolId = newPoolId(input.region);
  const productKey = newProductKey();
  const adminKey = newAdminKey(poolId);
  const out = await poolStub(env, poolId, input.locationHint).create({
    poolId,
    ...input,
    keyHash: await sha256Hex(normalizeKey(productKey)),
    adminKeyHash: await sha256Hex(parseAdminKey(adminKey)!.normalized),
  }, vendorName(actor));
  if (!out.ok) return out;
  await directoryStub(env).add({ poolId, customer: input.customer, seats: input.seats, region: input.region, locationHint: input.locationHint });
  return { ok: true, pool: poolDetails(out.pool), productKey, adminKey };
}

export interface PoolListEntry {
  poolId: string;
  customer: string;
  seats: number;
  inUse: number;
  region: Region;
  locationHint: LocationHint | null;
}

/** The vendor's list: the directory's page, with each pool's live figures. */
export async function listPools(env: Env, limit: number, after: string | undefined): Promise<{ pools: PoolListEntry[]; next: string | null }> {
  const page = await directoryStub(env).list(limit, after);
  const pools = await Promise.all(
    page.pools.map(async (entry) => {
      const live = await poolStub(env, entry.poolId).summaryForVendor();
      return {
        poolId: entry.poolId, customer: live?.customer ?? entry.customer, seats: live?.seats ?? entry.seats, inUse: live?.inUse ?? 0,
        region: entry.region, locationHint: entry.locationHint,
      };
    }),
  );
  return { pools, next: page.next };
}

/** A wrong vendor token or admin key presented on a pool's admin operations, for its audit log. */
export async function recordAuthFailure(env: Env, poolId: string, failure: AuthFailure): Promise<void> {
  await poolStub(env, poolId).recordAuthFailure(failure);
}

/** The `record` a failed admin credential hands the failure limiter: the pool logs it, by the caller's address. */
export function auditCredentialFailure(env: Env, poolId: string, reason: "bad_admin_key" | "bad_vendor_token") {
  return (address: string) => recordAuthFailure(env, poolId, { reason, address });
}

/** Also how an admin key is checked: its pool compares the hash (and logs a wrong one). */
export async function getPool(env: Env, actor: Actor, poolId: string): Promise<Outcome<{ pool: PoolDetails }>> {
  const out = await poolStub(env, poolId).getPool(actor);
  return out.ok ? { ok: true, pool: poolDetails(out.pool) } : out;
}

/** Changes a pool, and keeps the vendor's directory in step with its customer and seats. */
export async function updatePool(env: Env, actor: Actor, poolId: string, patch: PoolPatch): Promise<Outcome<{ pool: PoolDetails }>> {
  const out = await poolStub(env, poolId).updatePool(actor, patch);
  if (!out.ok) return out;
  if (patch.customer !== undefined || patch.seats !== undefined) {
    await directoryStub(env).update(poolId, out.pool.customer, out.pool.seats);
  }
  return { ok: true, pool: poolDetails(out.pool) };
}

/** A page of the seats in use, oldest first; `next` is the cursor of the following page. */
export async function listSeats(
  env: Env, actor: Actor, poolId: string, page: SeatsPage = {},
): Promise<Outcome<{ seats: Seat[]; next: string | null; total: number }>> {
  return poolStub(env, poolId).listSeats(actor, page);
}

/** Ends every session of one seat (reason `freed`); `not_found` with `resource: "seat"` when it is not in use. */
export async function freeSeat(
  env: Env, actor: Actor, poolId: string, seatId: string,
): Promise<Outcome<{ pool: PoolSummary; sessionsEnded: number; holder: SeatHolder }>> {
  return poolStub(env, poolId).freeSeat(actor, seatId);
}

/** One seat in use, by id; `not_found` with `resource: "seat"` when it is not in use. */
export async function getSeat(env: Env, actor: Actor, poolId: string, seatId: string): Promise<Outcome<{ seat: Seat }>> {
  return poolStub(env, poolId).seat(actor, seatId);
}

export async function rotateCredentials(
  env: Env, actor: Actor, poolId: string, endSessions: boolean,
): Promise<Outcome<{ serial: string; productKey: string; sessionsEnded: number }>> {
  const productKey = newProductKey();
  const out = await poolStub(env, poolId).rotateCredentials(actor, await sha256Hex(normalizeKey(productKey)), endSessions);
  if (!out.ok) return out;
  return { ok: true, serial: formatSerial(poolId, out.generation), productKey, sessionsEnded: out.sessionsEnded };
}

/** A new key for the calling admin (for the vendor: the first admin); the old one stops working. */
export async function rotateAdminKey(env: Env, actor: Actor, poolId: string): Promise<Outcome<{ adminKey: string; keyHash: string; adminId: string }>> {
  const adminKey = newAdminKey(poolId);
  const keyHash = await sha256Hex(parseAdminKey(adminKey)!.normalized);
  const out = await poolStub(env, poolId).rotateAdminKey(actor, keyHash);
  return out.ok ? { ok: true, adminKey, keyHash, adminId: out.adminId } : out;
}

// ---- pool admins -------------------------------------------------------------------

/** Another admin for a pool, with a key of their own, shown once. */
export async function addAdmin(
  env: Env, actor: Actor, poolId: string, admin: { name: string; email?: string | undefined },
): Promise<Outcome<{ admin: PoolAdmin; adminKey: string }>> {
  const adminKey = newAdminKey(poolId);
  const keyHash = await sha256Hex(parseAdminKey(adminKey)!.normalized);
  const out = await poolStub(env, poolId).addAdmin(actor, { name: admin.name, email: admin.email?.trim() ?? null, keyHash });
  return out.ok ? { ok: true, admin: out.admin, adminKey } : out;
}

export async function listAdmins(env: Env, actor: Actor, poolId: string): Promise<Outcome<{ admins: PoolAdmin[] }>> {
  return poolStub(env, poolId).listAdmins(actor);
}

/** Removes an admin (never the last): their key stops working and their dashboard sessions end at once. */
export async function removeAdmin(env: Env, actor: Actor, poolId: string, adminId: string): Promise<Outcome<{ admin: PoolAdmin }>> {
  const out = await poolStub(env, poolId).removeAdmin(actor, adminId);
  if (out.ok) await directoryStub(env).endDashboardSessionsOfAdmin(poolId, adminId);
  return out;
}

/** A page of the audit log, newest first; `next` is the `before` of the following page. */
export async function listEvents(
  env: Env, actor: Actor, poolId: string, limit: number, before: number | undefined,
): Promise<Outcome<{ events: PoolEvent[]; next: string | null }>> {
  const out = await poolStub(env, poolId).events(actor, limit, before);
  return out.ok ? { ok: true, events: parseEvents(out.events), next: out.next } : out;
}

export type UsageBucketSize = "hour" | "day";

export interface UsageRange {
  bucket?: UsageBucketSize;
  /** Milliseconds since the epoch; default: 23 hours (hourly) or 29 days (daily) before `to`. */
  from?: number;
  /** Default: now. */
  to?: number;
}

const bucketSpan: Record<UsageBucketSize, { size: number; defaultBuckets: number; maxBuckets: number }> = {
  hour: { size: HOUR, defaultBuckets: 24, maxBuckets: 62 * 24 },
  day: { size: DAY, defaultBuckets: 30, maxBuckets: 400 },
};

/** How busy the pool was: the last 24 hours or 30 days by default; a range the pool would not answer is `invalid_request`. */
export async function usage(env: Env, actor: Actor, poolId: string, range: UsageRange): Promise<Outcome<{ bucket: UsageBucketSize; buckets: UsageBucket[] }>> {
  const bucket = range.bucket ?? "hour";
  const span = bucketSpan[bucket];
  const to = range.to ?? Date.now();
  const from = range.from ?? to - (span.defaultBuckets - 1) * span.size;
  if (from > to) return failure("invalid_request", messages.usageBackwards, { issues: [{ path: "from", message: "after to" }] });
  if ((to - from) / span.size > span.maxBuckets) {
    return failure("invalid_request", messages.usageTooLong(span.maxBuckets, bucket), { issues: [{ path: "from", message: "range too long" }] });
  }
  const out = await poolStub(env, poolId).usage(actor, from, to, bucket);
  return out.ok ? { ok: true, bucket, buckets: out.buckets } : out;
}

// ---- waiting for a seat ------------------------------------------------------

/** Who waits for a seat, first in line first. */
export async function listQueue(env: Env, actor: Actor, poolId: string) {
  return poolStub(env, poolId).listQueue(actor);
}

/** Removes a waiter; a seat granted to them and not yet picked up passes on. */
export async function removeFromQueue(env: Env, actor: Actor, poolId: string, ticketId: string) {
  return poolStub(env, poolId).removeFromQueue(actor, ticketId);
}

// ---- where a pool lives, and its data -------------------------------------------

/** Records read from the pool per RPC call while exporting: memory stays bounded whatever the pool's size. */
export const EXPORT_PAGE = 500;

const ndjsonEncoder = new TextEncoder();

/**
 * Everything the pool holds as NDJSON, streamed: the pool first, then its seats, sessions,
 * events and usage, each walked a page at a time by its key, read only as the client reads.
 * The first page is read before answering, with the export's own permission (not merely
 * reading the pool), so a refusal is answered before any byte is sent.
 */
export async function exportPool(env: Env, actor: Actor, poolId: string): Promise<Outcome<{ stream: ReadableStream<Uint8Array> }>> {
  const firstPage = await poolStub(env, poolId).exportPage(actor, exportKinds[0]!, null, EXPORT_PAGE);
  if (!firstPage.ok) return firstPage;
  const first = await getPool(env, actor, poolId);
  if (!first.ok) return first;
  const line = (record: unknown) => JSON.stringify(record) + "\n";
  let kind = 0;
  let after: string | null = null;
  let pending: typeof firstPage | undefined = firstPage;
  const stream = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        controller.enqueue(ndjsonEncoder.encode(line({ kind: "pool", ...first.pool })));
      },
      async pull(controller) {
        while (kind < exportKinds.length) {
          const out = pending ?? (await poolStub(env, poolId).exportPage(actor, exportKinds[kind]!, after, EXPORT_PAGE));
          pending = undefined;
          // the pool was deleted (or the key rotated) mid-export: the stream ends in an error, not a short file that looks whole
          if (!out.ok) return controller.error(new Error(out.message));
          after = out.next;
          if (after === null) kind++;
          if (out.records.length > 0) {
            const text = out.records.map((r) => line(r.kind === "event" ? { ...r, details: r.details === null ? null : JSON.parse(r.details) } : r)).join("");
            return controller.enqueue(ndjsonEncoder.encode(text));
          }
        }
        controller.close();
      },
    },
    { highWaterMark: 0 },
  );
  return { ok: true, stream };
}

/** Removes one person's names from what the pool holds of the past; answers how many records changed. */
export async function erasePerson(env: Env, actor: Actor, poolId: string, who: ErasureRequest): Promise<Outcome<ErasureResponse>> {
  return poolStub(env, poolId).erase(actor, who.user, who.machine);
}

/** Deletes the pool's object storage, then its directory entry: its serial is unknown from then on. */
export async function deletePool(env: Env, actor: Actor, poolId: string): Promise<Outcome<{ deleted: true; poolId: string }>> {
  const out = await poolStub(env, poolId).deletePool(actor);
  if (!out.ok) return out;
  await directoryStub(env).remove(poolId);
  return { ok: true, deleted: true, poolId };
}

// ---- webhooks ---------------------------------------------------------------

/** A webhook secret: `whsec_` and 24 random bytes in base64, the Standard Webhooks form. */
function newWebhookSecret(): string {
  return `whsec_${btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(24))))}`;
}

function newWebhookId(): string {
  const alphabet = "0123456789abcdefghjkmnpqrstvwxyz";
  let id = "wh_";
  for (const b of crypto.getRandomValues(new Uint8Array(16))) id += alphabet[b & 31];
  return id;
}

/** Subscribes a URL to some of the pool's events; the secret is in this answer only. */
export async function createWebhook(
  env: Env, actor: Actor, poolId: string, request: CreateWebhookRequest,
): Promise<Outcome<{ webhook: Webhook; secret: string }>> {
  const problem = webhookUrlFailure(env, request.url);
  if (problem) return problem;
  const secret = newWebhookSecret();
  const events = [...new Set(request.events)];
  const out = await poolStub(env, poolId).addWebhook(actor, { webhookId: newWebhookId(), url: request.url, events, secret });
  return out.ok ? { ok: true, webhook: out.webhook, secret } : out;
}

export async function listWebhooks(env: Env, actor: Actor, poolId: string): Promise<Outcome<{ webhooks: Webhook[] }>> {
  return poolStub(env, poolId).listWebhooks(actor);
}

export async function removeWebhook(env: Env, actor: Actor, poolId: string, webhookId: string): Promise<Outcome<{ removed: true }>> {
  return poolStub(env, poolId).removeWebhook(actor, webhookId);
}

/**
 * A webhook's deliveries from this pool: one of the pool's own, or, for a vendor credential,
 * a vendor-wide subscription the directory knows (its deliveries from this pool alone).
 */
export async function webhookDeliveries(env: Env, actor: Actor, poolId: string, webhookId: string): Promise<Outcome<{ deliveries: Delivery[] }>> {
  const own = await poolStub(env, poolId).webhookDeliveries(actor, webhookId);
  if (own.ok || own.code !== "not_found" || actor.role !== "vendor" || own.resource === "pool") return own;
  if (!(await directoryStub(env).hasVendorWebhook(webhookId))) return own;
  return poolStub(env, poolId).vendorWebhookDeliveries(actor, webhookId);
}

/** The problem with a webhook request's URL, as a 400 of the contract's shape, or null. */
function webhookUrlFailure(env: Env, url: string): Failure | null {
  const problem = webhookUrlProblem(url, env.ALLOW_INSECURE_WEBHOOKS === "true");
  return problem ? failure("invalid_request", problem, { issues: [{ path: "url", message: problem }] }) : null;
}

/** Subscribes a URL to the events of every pool; the secret is in this answer only. */
export async function createVendorWebhook(env: Env, actor: Actor, request: CreateWebhookRequest): Promise<Outcome<{ webhook: Webhook; secret: string }>> {
  // the role matrix, for the dashboard's form as for the API's middleware
  const refused = refusedRole(actor, "manage_vendor_webhooks");
  if (refused) return refused;
  const problem = webhookUrlFailure(env, request.url);
  if (problem) return problem;
  const secret = newWebhookSecret();
  const webhook = await directoryStub(env).addVendorWebhook({ webhookId: newWebhookId(), url: request.url, events: [...new Set(request.events)], secret });
  return { ok: true, webhook, secret };
}

export async function listVendorWebhooks(env: Env, actor: Actor): Promise<Outcome<{ webhooks: Webhook[] }>> {
  const refused = refusedRole(actor, "read_vendor_webhooks");
  return refused ?? { ok: true, webhooks: await directoryStub(env).listVendorWebhooks() };
}

/** Each pool drops its pending deliveries to it when it next tries one. */
export async function removeVendorWebhook(env: Env, actor: Actor, webhookId: string): Promise<Outcome<{ removed: true }>> {
  const refused = refusedRole(actor, "manage_vendor_webhooks");
  if (refused) return refused;
  return (await directoryStub(env).removeVendorWebhook(webhookId)) ? { ok: true, removed: true } : failure("not_found", messages.noSuchWebhook);
}

// ---- seat advice ------------------------------------------------------------

/** How many seats the pool should have, by the rule of docs/advice.md. */
export async function seatAdvice(env: Env, actor: Actor, poolId: string, days: number): Promise<Outcome<{ advice: AdviceResponse }>> {
  return poolStub(env, poolId).advice(actor, days);
}
