/**
 * A borrowed seat on the client (shared/api.md, "Borrowing a seat to work offline"): the
 * lease the service signed, kept beside the journal, and the checks that let a start with
 * no service reachable go ahead on it. A lease counts only when its signature verifies
 * with the cached JWKS, it is a lease (`typ`), it is for this identity and this machine
 * (`machineId`), and the clock is within `nbf`..`exp` and not behind the latest time this
 * client has seen (its own clock and the service's `Date` header): setting the clock back
 * cannot stretch a lease.
 */
import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JWK } from "jose";
import { LeaseClaims } from "../contract/token.js";
import { foldText } from "../contract/text.js";
import type { PoolSummary } from "../contract/schemas.js";
import { LeaseRefusedError } from "./errors.js";
import { TOKEN_ALGORITHMS, type JwksDocument } from "./token.js";

export { LeaseClaims };

/** A lease as the client keeps it, with what an offline start answers and the clock it has seen. */
export interface StoredLease {
  url: string;
  sessionId: string;
  /** The borrowed session's token: it releases the seat when the user returns it. */
  token: string;
  lease: string;
  until: string;
  seatId: string;
  pool: PoolSummary;
  /** The latest time seen (ms): this machine's clock and the service's `Date` header. */
  latestSeenAt: number;
}

/** Where the lease is kept between launches, one per service address. */
export interface LeaseStore {
  load(url: string): Promise<StoredLease | undefined>;
  save(lease: StoredLease): Promise<void>;
  remove(url: string): Promise<void>;
}

export class MemoryLeaseStore implements LeaseStore {
  private readonly leases = new Map<string, StoredLease>();
  async load(url: string): Promise<StoredLease | undefined> {
    return this.leases.get(url);
  }
  async save(lease: StoredLease): Promise<void> {
    this.leases.set(lease.url, lease);
  }
  async remove(url: string): Promise<void> {
    this.leases.delete(url);
  }
}

/** The identity an offline start is for, as the checkout would send it. */
export interface LeaseHolder {
  user: string;
  machine: string;
  /** The hashed machine id the checkout sends, if any. */
  machineId?: string;
}

/** "14 March": how a person is told when the borrowed seat comes back. */
export function leaseDate(until: string | Date): string {
  return new Date(until).toLocaleDateString("en-GB", { day: "numeric", month: "long", timeZone: "UTC" });
}

/** Clocks differ a little between this machine and the service; more than this behind the latest time seen is a clock set back. */
export const CLOCK_TOLERANCE_MS = 5 * 60_000;

function isJwk(key: Record<string, unknown>): key is Record<string, unknown> & JWK {
  return typeof key.kty === "string";
}

/**
 * The lease's claims when it may start the application offline at `now` (ms); otherwise
 * a LeaseRefusedError that says why, in words for the person at the screen.
 */
export async function verifyLease(stored: StoredLease, jwks: JwksDocument | undefined, holder: LeaseHolder, now: number): Promise<LeaseClaims> {
  const until = stored.until;
  if (now + CLOCK_TOLERANCE_MS < stored.latestSeenAt) {
    throw new LeaseRefusedError(
      "clock_back",
      `This computer's clock is behind a time it has already seen (${new Date(stored.latestSeenAt).toISOString()}), so the borrowed seat cannot be used offline. Set the clock right, or connect to the network.`,
      { until },
    );
  }
  if (!jwks) throw new LeaseRefusedError("invalid", "The service's keys were never fetched on this computer, so the borrowed seat cannot be checked offline. Connect to the network.");
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(stored.lease, createLocalJWKSet({ keys: jwks.keys.filter(isJwk) }), {
      algorithms: TOKEN_ALGORITHMS,
      currentDate: new Date(now),
      clockTolerance: 0,
    }));
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) {
      throw new LeaseRefusedError("expired", `The borrowed seat came back to the pool on ${leaseDate(until)}; connect to the network to take a seat.`, { until });
    }
    if (err instanceof joseErrors.JWTClaimValidationFailed && err.claim === "nbf") {
      throw new LeaseRefusedError("clock_back", "This computer's clock is before the borrowed seat was lent, so it cannot be used offline. Set the clock right, or connect to the network.", { until });
    }
    throw new LeaseRefusedError("invalid", "The stored borrowed seat is not genuine (its signature does not verify), so it cannot be used offline. Connect to the network.", { cause: err });
  }
  const claims = LeaseClaims.safeParse(payload);
  if (!claims.success || claims.data.sub !== stored.sessionId) {
    throw new LeaseRefusedError("invalid", "The stored borrowed seat is not a Seatkeeper lease for this session, so it cannot be used offline. Connect to the network.");
  }
  const c = claims.data;
  if (c.machineId !== undefined && c.machineId !== holder.machineId) {
    throw new LeaseRefusedError("other_machine", "The borrowed seat was lent to another computer, so it cannot be used offline here. Connect to the network.", { until });
  }
  if (foldText(c.user) !== foldText(holder.user) || foldText(c.machine) !== foldText(holder.machine)) {
    throw new LeaseRefusedError("other_identity", `The borrowed seat was lent to ${c.user} on ${c.machine}, not to ${holder.user} on ${holder.machine}. Connect to the network.`, { until });
  }
  return c;
}
