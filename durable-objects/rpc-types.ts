/**
 * What crosses the RPC boundary between the Worker and a pool object, derived from the
 * contract's zod schemas so that a shape is declared once: a field added to the contract
 * reaches the object's answers, or the type check says where it is missing.
 */
import type {
  CheckoutRequest, CheckoutResponse, CreatePoolRequest, PoolDetails, PoolEvent, PoolSummary, SessionStatus, UpdatePoolRequest,
} from "../src/contract/schemas.js";

/** Optional fields of a request as the object stores them: present, or null. */
type Settled<T> = { [K in keyof T]-?: Exclude<T[K], undefined> | (undefined extends T[K] ? null : never) };

/** A pool as the object knows it: the contract's details without the serial, which the Worker formats from `generation`. */
export type PoolState = Omit<PoolDetails, "serial"> & { generation: number };

/** A new pool: the request's settings, settled, with the id and the hashes the Worker made. */
export type CreatePoolInput = Omit<Settled<CreatePoolRequest>, "sso"> & { poolId: string; keyHash: string; adminKeyHash: string };

/** The changes a PATCH asks for; the object checks who may make which. */
export type PoolPatch = UpdatePoolRequest;

/** A checkout as the object decides it: the identity from the request, the serial already parsed and the key hashed. */
export type CheckoutInput = Pick<CheckoutRequest, "user" | "machine" | "terminalSession" | "clientVersion" | "instance" | "machineId" | "group" | "wait"> & {
  generation: number;
  keyHash: string;
  /** The client's address (CF-Connecting-IP), recorded per session; null when the Worker has none. */
  address: string | null;
};

/** A failed authentication the Worker records once the failure limiter has let it through. */
export interface AuthFailure {
  reason: "bad_product_key" | "bad_admin_key" | "bad_vendor_token";
  address: string;
  /** The serial's generation and the identity that tried, for a wrong product key (the first of the minute is kept). */
  generation?: number;
  who?: { user: string; machine: string; terminalSession: string | null };
}

/** A granted checkout: the contract's answer less the token the Worker signs, with what the token carries. */
export type CheckoutGrant = Omit<CheckoutResponse, "token"> & {
  /** False when this answers a repeated `instance` (HTTP 200, not 201). */
  created: boolean;
  user: string;
  machine: string;
  terminalSession: string | null;
};

/** A session as `GET /v1/sessions/{id}` shows it. */
export type SessionView = SessionStatus;

/** An audit event as it crosses RPC: the contract's PoolEvent with `details` as JSON text, for the Worker to parse. */
export type StoredEvent = Omit<PoolEvent, "details"> & { details: string | null };

/** A checkout that joined the queue (`wait: true` on a full pool): the 202 answer less the ticket token the Worker signs. */
export interface QueuedCheckout {
  queued: true;
  ticketId: string;
  position: number;
  waiting: number;
  pool: PoolSummary;
}
