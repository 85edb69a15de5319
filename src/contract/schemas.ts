/**
 * Every request and answer of the public contract (shared/api.md), as zod schemas.
 * The Worker validates with them, /openapi.json is generated from them, and the SDK
 * types itself from them: one schema per shape.
 */
import { z } from "zod";
import { errorCodes, endReasons } from "./errors.js";
import { dottedVersion, text } from "./text.js";

// ---- shared pieces ---------------------------------------------------------

export const Seats = z.number().int().min(0).max(1_000_000);
export const StaleAfterHours = z.number().int().min(1).max(24 * 365);
export const MaxSessionsPerSeat = z.number().int().min(1).max(100);
export const MaxAddressesPerSeat = z.number().int().min(1).max(100);
export const Timestamp = z.string().describe("ISO 8601, UTC");

export const ErrorResponse = z.object({
  error: z.object({
    code: z.enum(errorCodes),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});

export const PoolSummary = z.object({
  poolId: z.string(),
  seats: z.number().int(),
  inUse: z.number().int(),
});

/**
 * A value of an answer that later versions may extend: the known values are listed for
 * the documentation, and any other string is accepted, so a client built today does not
 * reject an answer from a newer service.
 */
function openEnum<T extends readonly [string, ...string[]]>(values: T, what: string) {
  return z.union([z.enum(values), z.string().describe(`a ${what} added after this version`)]);
}

export const EndReasonSchema = openEnum(endReasons, "reason");

// ---- client API -------------------------------------------------------------

export const CheckoutRequest = z.object({
  serial: z.string().min(1).max(100),
  productKey: z.string().min(1).max(100),
  user: text(256),
  machine: text(256),
  terminalSession: text(128).optional(),
  clientVersion: dottedVersion.optional(),
  instance: text(128).optional(),
  machineId: text(128).optional(),
});

export const CheckoutResponse = z.object({
  sessionId: z.string(),
  token: z.string(),
  seatId: z.string(),
  seatShared: z.boolean(),
  pool: PoolSummary,
});

export const SessionPath = z.object({ sessionId: z.string().min(1).max(100) });

export const ReleaseResponse = z.object({
  released: z.boolean(),
  seatFreed: z.boolean().optional(),
  reason: EndReasonSchema.optional(),
  pool: PoolSummary.optional(),
});

export const HeartbeatResponse = z.object({ active: z.literal(true), pool: PoolSummary });

export const SessionStatus = z.object({
  sessionId: z.string(),
  seatId: z.string(),
  user: z.string(),
  machine: z.string(),
  terminalSession: z.string().nullable(),
  clientVersion: z.string().nullable(),
  startedAt: Timestamp,
  lastSeenAt: Timestamp,
  active: z.boolean(),
  endedAt: Timestamp.nullable().optional(),
  reason: EndReasonSchema.nullable().optional(),
});

// ---- admin API --------------------------------------------------------------

export const PoolPath = z.object({ poolId: z.string().min(1).max(64) });
export const SeatPath = PoolPath.extend({ seatId: z.string().min(1).max(100) });

export const CreatePoolRequest = z.object({
  customer: text(200),
  seats: Seats,
  minClientVersion: dottedVersion.nullable().optional(),
  staleAfterHours: StaleAfterHours.nullable().optional(),
  maxSessionsPerSeat: MaxSessionsPerSeat.default(10),
  maxAddressesPerSeat: MaxAddressesPerSeat.default(3),
  refuseWidelySharedSeats: z.boolean().default(false),
});

export const PoolDetails = z.object({
  poolId: z.string(),
  customer: z.string(),
  seats: z.number().int(),
  inUse: z.number().int(),
  serial: z.string(),
  minClientVersion: z.string().nullable(),
  staleAfterHours: z.number().int().nullable(),
  maxSessionsPerSeat: z.number().int(),
  maxAddressesPerSeat: z.number().int(),
  refuseWidelySharedSeats: z.boolean(),
  createdAt: Timestamp,
});

export const CreatePoolResponse = PoolDetails.extend({
  productKey: z.string(),
  adminKey: z.string(),
});

export const PoolListResponse = z.object({
  pools: z.array(z.object({ poolId: z.string(), customer: z.string(), seats: z.number().int(), inUse: z.number().int() })),
  next: z.string().nullable().optional(),
});

export const PoolListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  after: z.string().max(64).optional(),
});

export const UpdatePoolRequest = z
  .object({
    seats: Seats.optional(),
    customer: text(200).optional(),
    minClientVersion: dottedVersion.nullable().optional(),
    staleAfterHours: StaleAfterHours.nullable().optional(),
    maxSessionsPerSeat: MaxSessionsPerSeat.optional(),
    maxAddressesPerSeat: MaxAddressesPerSeat.optional(),
    refuseWidelySharedSeats: z.boolean().optional(),
  })
  .refine((o) => Object.keys(o).length > 0, { error: "name at least one setting to change" });

export const SeatSession = z.object({
  sessionId: z.string(),
  clientVersion: z.string().nullable(),
  startedAt: Timestamp,
  lastSeenAt: Timestamp,
});

export const Seat = z.object({
  seatId: z.string(),
  user: z.string(),
  machine: z.string(),
  terminalSession: z.string().nullable(),
  since: Timestamp,
  lastSeenAt: Timestamp,
  sessions: z.array(SeatSession),
  sharedFromAddresses: z.boolean(),
});

export const SeatsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).optional(),
  cursor: z.string().max(100).optional(),
  q: z.string().max(256).optional(),
});

export const SeatsResponse = z.object({
  seats: z.array(Seat),
  next: z.string().nullable(),
  total: z.number().int(),
});

export const FreeSeatResponse = z.object({ freed: z.literal(true), pool: PoolSummary });

export const RotateCredentialsRequest = z.object({ endSessions: z.boolean().optional() });
export const RotateCredentialsResponse = z.object({
  serial: z.string(),
  productKey: z.string(),
  sessionsEnded: z.number().int(),
});

export const AdminKeyResponse = z.object({ adminKey: z.string() });

export const eventTypes = [
  "pool_created",
  "checkout",
  "denied",
  "release",
  "freed",
  "expired",
  "revoked",
  "credentials_rotated",
  "admin_key_rotated",
  "pool_updated",
  "auth_failed",
  "seat_shared_widely",
] as const;

export const PoolEvent = z.object({
  id: z.string(),
  at: Timestamp,
  type: openEnum(eventTypes, "type"),
  actor: z.string().nullable(),
  seatId: z.string().nullable(),
  sessionId: z.string().nullable(),
  user: z.string().nullable(),
  machine: z.string().nullable(),
  terminalSession: z.string().nullable(),
  details: z.record(z.string(), z.unknown()).nullable(),
});

export const EventsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).optional(),
  before: z.string().regex(/^\d{1,15}$/, { error: "must be an event id" }).optional(),
});

export const EventsResponse = z.object({ events: z.array(PoolEvent), next: z.string().nullable() });

const isoDate = z.string().refine((s) => !Number.isNaN(Date.parse(s)), { error: "must be an ISO 8601 time" });
export const UsageQuery = z.object({
  from: isoDate.optional(),
  to: isoDate.optional(),
  bucket: z.enum(["hour", "day"]).optional(),
});

export const UsageBucket = z.object({
  start: Timestamp,
  peakInUse: z.number().int(),
  checkouts: z.number().int(),
  denials: z.number().int(),
});
export const UsageResponse = z.object({ bucket: z.enum(["hour", "day"]), buckets: z.array(UsageBucket) });

// ---- public -----------------------------------------------------------------

export const HealthResponse = z.object({ ok: z.literal(true) });
export const Jwks = z.object({ keys: z.array(z.record(z.string(), z.unknown())) });

// ---- types ------------------------------------------------------------------

export type CheckoutRequest = z.infer<typeof CheckoutRequest>;
export type CheckoutResponse = z.infer<typeof CheckoutResponse>;
export type ReleaseResponse = z.infer<typeof ReleaseResponse>;
export type HeartbeatResponse = z.infer<typeof HeartbeatResponse>;
export type SessionStatus = z.infer<typeof SessionStatus>;
export type PoolSummary = z.infer<typeof PoolSummary>;
export type CreatePoolRequest = z.infer<typeof CreatePoolRequest>;
export type CreatePoolResponse = z.infer<typeof CreatePoolResponse>;
export type PoolDetails = z.infer<typeof PoolDetails>;
export type PoolListResponse = z.infer<typeof PoolListResponse>;
export type UpdatePoolRequest = z.infer<typeof UpdatePoolRequest>;
export type Seat = z.infer<typeof Seat>;
export type SeatsResponse = z.infer<typeof SeatsResponse>;
export type SeatsQuery = z.infer<typeof SeatsQuery>;
export type FreeSeatResponse = z.infer<typeof FreeSeatResponse>;
export type RotateCredentialsResponse = z.infer<typeof RotateCredentialsResponse>;
export type AdminKeyResponse = z.infer<typeof AdminKeyResponse>;
export type PoolEvent = z.infer<typeof PoolEvent>;
export type EventType = (typeof eventTypes)[number];
export type EventsResponse = z.infer<typeof EventsResponse>;
export type UsageResponse = z.infer<typeof UsageResponse>;
export type UsageBucket = z.infer<typeof UsageBucket>;
export type ErrorResponse = z.infer<typeof ErrorResponse>;
