/**
 * The SDK's errors: one class per situation an application handles differently, each
 * carrying the contract's stable `code`, so a caller can `switch (err.code)` or test
 * `instanceof`. Client-side situations (no network, nothing configured) get codes of
 * their own that never collide with the service's.
 */
import { ErrorResponse, endReasons, type EndReason, type ErrorCode, type OwnSeat } from "../contract/index.js";

/** The service's codes, plus the client's own. */
export type ClientErrorCode = ErrorCode | "offline" | "unexpected_response" | "not_configured" | "no_session" | "lease_refused" | "aborted" | "ticket_ended";

/**
 * One entry of an error's `details`, read as the kind its getter promises (a number, a
 * string, a date given as a string, or one of a list of values), else undefined: a
 * service's answer, or a newer service's, is not trusted to have the shape this SDK knows.
 */
function detail(details: Record<string, unknown>, key: string, kind: "number"): number | undefined;
function detail(details: Record<string, unknown>, key: string, kind: "string"): string | undefined;
function detail(details: Record<string, unknown>, key: string, kind: "date"): Date | undefined;
function detail<T>(details: Record<string, unknown>, key: string, kind: readonly T[]): T | undefined;
function detail(details: Record<string, unknown>, key: string, kind: "number" | "string" | "date" | readonly unknown[]): unknown {
  const value = details[key];
  if (typeof kind !== "string") return kind.includes(value) ? value : undefined;
  if (kind === "date") return typeof value === "string" ? new Date(value) : undefined;
  return typeof value === kind ? value : undefined;
}

export class SeatkeeperError extends Error {
  override name = "SeatkeeperError";
  constructor(
    readonly code: ClientErrorCode,
    message: string,
    /** The HTTP status of the service's answer; undefined when there was none. */
    readonly status?: number,
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Worth trying again as is: the service was unreachable or failed on its side. */
  get retryable(): boolean {
    return this.code === "offline" || this.code === "internal_error" || (this.code === "unexpected_response" && (this.status ?? 0) >= 500);
  }
}

/** The service cannot be reached at all: no network, DNS, firewall, proxy, or time-out. */
export class OfflineError extends SeatkeeperError {
  override name = "OfflineError";
  constructor(readonly url: string, reason: string, options?: { cause?: unknown; status?: number }) {
    super(
      "offline",
      `Cannot reach the Seatkeeper service at ${url} (${reason}). Check the network connection, and that the service address is right.`,
      options?.status,
      { url, reason },
      options,
    );
  }
}

/** Something needed (service address, serial number, product key) is not configured. */
export class ConfigurationError extends SeatkeeperError {
  override name = "ConfigurationError";
  constructor(message: string, readonly missing: string[] = []) {
    super("not_configured", message, undefined, { missing });
  }
}

/** The answer was not the contract's (a captive portal, a proxy's page, a different service). */
export class UnexpectedResponseError extends SeatkeeperError {
  override name = "UnexpectedResponseError";
  constructor(url: string, status: number, problem: string) {
    super("unexpected_response", `The service at ${url} gave an answer Seatkeeper does not understand (HTTP ${status}: ${problem}). Check the service address.`, status);
  }
}

export class InvalidRequestError extends SeatkeeperError {
  override name = "InvalidRequestError";
  /** Each field that failed validation. */
  get issues(): Array<{ path: string; message: string }> {
    return Array.isArray(this.details.issues) ? (this.details.issues as Array<{ path: string; message: string }>) : [];
  }
}

export class InvalidCredentialsError extends SeatkeeperError {
  override name = "InvalidCredentialsError";
}

export class InvalidTokenError extends SeatkeeperError {
  override name = "InvalidTokenError";
}

export class UnauthorizedError extends SeatkeeperError {
  override name = "UnauthorizedError";
}

export class CredentialsRevokedError extends SeatkeeperError {
  override name = "CredentialsRevokedError";
}

export class ForbiddenError extends SeatkeeperError {
  override name = "ForbiddenError";
}

export class NotFoundError extends SeatkeeperError {
  override name = "NotFoundError";
}

/** Every seat is taken; `seats` is the pool's size and `inUse` how many are held. */
export class PoolFullError extends SeatkeeperError {
  override name = "PoolFullError";
  get seats(): number {
    return detail(this.details, "seats", "number") ?? 0;
  }
  get inUse(): number {
    return detail(this.details, "inUse", "number") ?? 0;
  }
}

/** Why a seat refused one more session (`details.reason` of `too_many_sessions`). */
export const tooManySessionsReasons = ["machine_mismatch", "sessions", "addresses"] as const;
export type TooManySessionsReason = (typeof tooManySessionsReasons)[number];

/**
 * The identity's seat refused another session: it is held from another machine (another
 * `machineId`), already carries the pool's `maxSessionsPerSeat` sessions, or is in use from
 * more than `maxAddressesPerSeat` network addresses on a pool that refuses that.
 */
export class TooManySessionsError extends SeatkeeperError {
  override name = "TooManySessionsError";
  /** Undefined for a reason this SDK does not know yet (a newer service). */
  get reason(): TooManySessionsReason | undefined {
    return detail(this.details, "reason", tooManySessionsReasons);
  }
  /** The pool's limit that was reached (sessions or addresses per seat). */
  get max(): number | undefined {
    return detail(this.details, "max", "number");
  }
}

/** The request body was over the service's limit (16 KiB). */
export class PayloadTooLargeError extends SeatkeeperError {
  override name = "PayloadTooLargeError";
}

/** A live channel was asked for without a WebSocket upgrade: a fault in the caller. */
export class UpgradeRequiredError extends SeatkeeperError {
  override name = "UpgradeRequiredError";
}

/** The request body was not JSON: a fault in the caller, not something a user can fix. */
export class UnsupportedMediaTypeError extends SeatkeeperError {
  override name = "UnsupportedMediaTypeError";
}

/** A self-release was refused: the seat's holder is connected and active. */
export class SeatActiveError extends SeatkeeperError {
  override name = "SeatActiveError";
}

/** The path exists but not with this method (an SDK older or newer than the service). */
export class MethodNotAllowedError extends SeatkeeperError {
  override name = "MethodNotAllowedError";
}

/** The session is over: released, freed by an admin, ended by a revocation, or expired. */
export class SessionEndedError extends SeatkeeperError {
  override name = "SessionEndedError";
  get reason(): EndReason {
    return detail(this.details, "reason", endReasons) ?? "expired";
  }
}

/** The pool needs a newer application; `minClientVersion` says which. */
export class ClientVersionError extends SeatkeeperError {
  override name = "ClientVersionError";
  get minClientVersion(): string | undefined {
    return detail(this.details, "minClientVersion", "string");
  }
}

/** The request clashes with what exists: a staff e-mail address already taken, or the pool's last admin. */
export class ConflictError extends SeatkeeperError {
  override name = "ConflictError";
}

/** Too many failed attempts from this address; try again after `retryAfterSeconds`. */
export class RateLimitedError extends SeatkeeperError {
  override name = "RateLimitedError";
  readonly retryAt: Date;
  constructor(message: string, status: number, details: Record<string, unknown>, readonly retryAfterSeconds: number) {
    super("rate_limited", message, status, details);
    this.retryAt = new Date(Date.now() + retryAfterSeconds * 1000);
  }
}

/** The pool does not allow borrowing, or not for this long; `maxBorrowDays` says how long it allows (null: not at all). */
export class BorrowNotAllowedError extends SeatkeeperError {
  override name = "BorrowNotAllowedError";
  get maxBorrowDays(): number | null {
    return detail(this.details, "maxBorrowDays", "number") ?? null;
  }
}

/** As many seats as the pool allows are borrowed already (`max`). */
export class BorrowLimitError extends SeatkeeperError {
  override name = "BorrowLimitError";
  get max(): number | undefined {
    return detail(this.details, "max", "number");
  }
}

/** Why a stored lease cannot start the application offline (`details.reason` of `lease_refused`). */
export const leaseRefusals = ["none", "expired", "clock_back", "invalid", "other_machine", "other_identity"] as const;
export type LeaseRefusal = (typeof leaseRefusals)[number];

/**
 * The service could not be reached and the borrowed seat cannot stand in for it: there is
 * none, it has expired, the clock went back, or it is not genuine or not for this machine.
 * The OfflineError is its `cause`.
 */
export class LeaseRefusedError extends SeatkeeperError {
  override name = "LeaseRefusedError";
  constructor(readonly reason: LeaseRefusal, message: string, options?: { cause?: unknown; until?: string }) {
    super("lease_refused", message, undefined, { reason, ...(options?.until ? { until: options.until } : {}) }, options);
  }
}

/** The pool's admins blocked this user or machine; the message says to ask the IT department. */
export class BlockedError extends SeatkeeperError {
  override name = "BlockedError";
}

/** The pool's term has not started or has ended; `validFrom` and `validUntil` say when it runs. */
export class PoolInactiveError extends SeatkeeperError {
  override name = "PoolInactiveError";
  get validFrom(): Date | undefined {
    return detail(this.details, "validFrom", "date");
  }
  get validUntil(): Date | undefined {
    return detail(this.details, "validUntil", "date");
  }
}

/** The client's group holds its `max` seats; `group`, `max` and `inUse` say which and how many. */
export class GroupFullError extends SeatkeeperError {
  override name = "GroupFullError";
  get group(): string | undefined {
    return detail(this.details, "group", "string");
  }
  get max(): number | undefined {
    return detail(this.details, "max", "number");
  }
  get inUse(): number | undefined {
    return detail(this.details, "inUse", "number");
  }
}

type ErrorClass = new (code: ClientErrorCode, message: string, status?: number, details?: Record<string, unknown>) => SeatkeeperError;

/** Every code but the two built apart; a code added to the contract fails the type check here until it has a class. */
const classes: Record<Exclude<ErrorCode, "rate_limited" | "internal_error">, ErrorClass> = {
  invalid_request: InvalidRequestError,
  invalid_credentials: InvalidCredentialsError,
  invalid_token: InvalidTokenError,
  unauthorized: UnauthorizedError,
  credentials_revoked: CredentialsRevokedError,
  forbidden: ForbiddenError,
  not_found: NotFoundError,
  pool_full: PoolFullError,
  too_many_sessions: TooManySessionsError,
  seat_active: SeatActiveError,
  payload_too_large: PayloadTooLargeError,
  upgrade_required: UpgradeRequiredError,
  unsupported_media_type: UnsupportedMediaTypeError,
  method_not_allowed: MethodNotAllowedError,
  session_ended: SessionEndedError,
  client_version_unsupported: ClientVersionError,
  borrow_not_allowed: BorrowNotAllowedError,
  borrow_limit: BorrowLimitError,
  conflict: ConflictError,
  blocked: BlockedError,
  pool_inactive: PoolInactiveError,
  group_full: GroupFullError,
};

/**
 * The error for a non-2xx answer: the contract's class when the body is the contract's
 * error shape, else an offline (gateway failures) or unexpected-answer error.
 */
export function errorFromResponse(url: string, status: number, body: unknown, retryAfterHeader: string | null): SeatkeeperError {
  const parsed = ErrorResponse.safeParse(body);
  if (!parsed.success) {
    if (status === 502 || status === 503 || status === 504) return new OfflineError(url, `a gateway answered HTTP ${status}`, { status });
    return new UnexpectedResponseError(url, status, "not the contract's error shape");
  }
  const { code, message, details = {} } = parsed.data.error;
  if (code === "rate_limited") {
    const header = Number(retryAfterHeader);
    const fromDetails = typeof details.retryAfterSeconds === "number" ? details.retryAfterSeconds : NaN;
    const seconds = Number.isFinite(header) && header >= 0 ? header : Number.isFinite(fromDetails) ? fromDetails : 60;
    return new RateLimitedError(message, status, details, seconds);
  }
  const Class = code === "internal_error" ? SeatkeeperError : classes[code];
  return new Class(code, message, status, details);
}

// ---- waiting for a seat (issue 11) ----

/** A seat the same user holds on another machine or terminal session, from `details.ownSeats` of a pool_full: the contract's shape. */
export type { OwnSeat };

/** The seats a pool_full says the user holds elsewhere (`POST /v1/seats/{seatId}/release` frees one); empty when it says none. */
export function ownSeatsOf(err: PoolFullError): OwnSeat[] {
  const list = err.details.ownSeats;
  if (!Array.isArray(list)) return [];
  return list.flatMap((s: Record<string, unknown>) =>
    typeof s?.seatId === "string" && typeof s.machine === "string" && typeof s.since === "string"
      ? [{
          seatId: s.seatId, machine: s.machine, terminalSession: typeof s.terminalSession === "string" ? s.terminalSession : null, since: s.since,
          lastSeenAt: typeof s.lastSeenAt === "string" ? s.lastSeenAt : s.since, connected: s.connected === true,
        }]
      : [],
  );
}

/**
 * A checkout waiting in the queue was stopped by its `signal`: the ticket was given up
 * (`DELETE /v1/tickets/{id}`), so the place in line is gone. Named `AbortError` like the
 * platform's own, so code that already tells aborts apart by name treats it alike.
 */
export class QueueAbortedError extends SeatkeeperError {
  override name = "AbortError";
  constructor(readonly ticketId: string, options?: { cause?: unknown }) {
    super("aborted", "Stopped waiting for a seat: the place in the queue was given up.", undefined, { ticketId }, options);
  }
}

/** Why a ticket ended without a seat: `lapsed` (its client was not heard for 60 s), `cancelled` (left, or removed by an admin), or a newer service's reason. */
export type TicketEnd = "lapsed" | "cancelled" | (string & {});

/** The queue ticket ended without a seat; `reason` says why. Checking out again joins the queue at its end. */
export class TicketEndedError extends SeatkeeperError {
  override name = "TicketEndedError";
  constructor(readonly ticketId: string, readonly reason: TicketEnd, status?: number) {
    super(
      "ticket_ended",
      reason === "lapsed"
        ? "The place in the queue lapsed: the service did not hear from this client for a minute. Check out again to wait for a seat."
        : reason === "cancelled"
          ? "The place in the queue was given up (left, or removed by an administrator). Check out again to wait for a seat."
          : `The place in the queue ended (${reason}). Check out again to wait for a seat.`,
      status,
      { ticketId, reason },
    );
  }
}
