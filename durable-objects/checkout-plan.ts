/**
 * A checkout decided before anything is written: the pure rules (credentials, version,
 * instance replay, join or take) turn what the pool holds into a plan, and the seat ledger
 * carries the plan out. The plan names everything the write needs (the seat to join, the
 * instance to forget), so the ledger never works a decision out a second time.
 *
 * It reads through `CheckoutLookups` and never writes, so a test can drive it with maps.
 */
import { decideSeat, identityKey, judgeCredentials, versionAllowed } from "./decisions.js";
import { messages } from "./messages.js";
import { failure, type Failure } from "./outcome.js";
import type { EventInput, PoolRow, SeatRow, SessionRow } from "./pool-store.js";
import type { CheckoutInput } from "./rpc-types.js";

export interface CheckoutLookups {
  keyHashOfGeneration(generation: number): string | undefined;
  sessionByInstance(instance: string): (SessionRow & { identity: string }) | undefined;
  activeSeatOf(identity: string): Pick<SeatRow, "seat_id"> | undefined;
  seatById(seatId: string): SeatRow | undefined;
}

export type CheckoutPlan =
  /** Refused: the failure to answer, the event to log, and whether usage counts it as a denial. */
  | { kind: "refuse"; failure: Failure; event?: Omit<EventInput, "user" | "machine" | "terminalSession">; denial: boolean }
  /** A retry of a launch whose session is still active: answer it again, write nothing. */
  | { kind: "replay"; session: SessionRow; seat: SeatRow }
  /** The identity holds a seat: a new session joins it. */
  | { kind: "join"; identity: string; seatId: string; forgetInstanceOf: string | null }
  /** A free seat is taken. */
  | { kind: "take"; identity: string; forgetInstanceOf: string | null };

export function planCheckout(input: CheckoutInput, pool: PoolRow, look: CheckoutLookups): CheckoutPlan {
  const verdict = judgeCredentials(
    { generation: pool.generation, keyHash: pool.key_hash },
    { generation: input.generation, keyHash: input.keyHash },
    (g) => look.keyHashOfGeneration(g),
  );
  if (verdict === "invalid") {
    return {
      kind: "refuse",
      failure: failure("invalid_credentials", messages.badCredentials),
      event: { type: "auth_failed", details: { reason: "bad_product_key", generation: input.generation } },
      denial: false,
    };
  }
  if (verdict === "revoked") {
    return {
      kind: "refuse",
      failure: failure("credentials_revoked", messages.credentialsRevoked),
      event: { type: "denied", details: { reason: "credentials_revoked", generation: input.generation } },
      denial: false,
    };
  }
  const min = pool.min_client_version;
  if (min !== null && !versionAllowed(min, input.clientVersion)) {
    const clientVersion = input.clientVersion ?? null;
    return {
      kind: "refuse",
      failure: failure(
        "client_version_unsupported",
        clientVersion === null ? messages.clientVersionMissing(min) : messages.clientVersionTooOld(min, clientVersion),
        { minClientVersion: min, clientVersion },
      ),
      event: { type: "denied", details: { reason: "client_version", clientVersion } },
      denial: false,
    };
  }

  const identity = identityKey(input.user, input.machine, input.terminalSession);
  let forgetInstanceOf: string | null = null;
  if (input.instance !== undefined) {
    const earlier = look.sessionByInstance(input.instance);
    if (earlier && earlier.identity !== identity) {
      return {
        kind: "refuse",
        failure: failure("invalid_request", messages.instanceOfAnother, {
          issues: [{ path: "instance", message: "already used by another identity" }],
        }),
        denial: false,
      };
    }
    if (earlier && earlier.ended_at === null) return { kind: "replay", session: earlier, seat: look.seatById(earlier.seat_id)! };
    // the launch's earlier session ended: the instance id is free for this new one
    if (earlier) forgetInstanceOf = earlier.session_id;
  }

  const held = look.activeSeatOf(identity);
  switch (decideSeat(held !== undefined, pool.in_use, pool.seats)) {
    case "join":
      return { kind: "join", identity, seatId: held!.seat_id, forgetInstanceOf };
    case "take":
      return { kind: "take", identity, forgetInstanceOf };
    case "full":
      return {
        kind: "refuse",
        failure: failure("pool_full", messages.poolFull(pool.seats), { seats: pool.seats, inUse: pool.in_use }),
        event: { type: "denied", details: { reason: "pool_full", seats: pool.seats, inUse: pool.in_use } },
        denial: true,
      };
  }
}
