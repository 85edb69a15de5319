/**
 * A checkout decided before anything is written: the pure rules (credentials, version,
 * instance replay, join or take) turn what the pool holds into a plan, and the seat ledger
 * carries the plan out. The plan names everything the write needs (the seat to join, the
 * instance to forget), so the ledger never works a decision out a second time.
 *
 * It reads through `CheckoutLookups` and never writes, so a test can drive it with maps.
 */
import { foldText } from "../src/contract/text.js";
import { decideSeat, identityKey, judgeCredentials, versionAllowed } from "./decisions.js";
import { messages } from "../src/contract/messages.js";
import { failure, type Failure } from "./outcome.js";
import type { EventInput, PoolRow, SeatRow, SessionRow } from "./pool-store.js";
import type { CheckoutInput } from "./rpc-types.js";
import { blockingRule, decideTake, judgeTerm } from "./policy.js";
import { PolicyRoom, type PolicyView } from "./policy-room.js";
import { iso } from "./contract-shapes.js";

export interface CheckoutLookups {
  keyHashOfGeneration(generation: number): string | undefined;
  sessionByInstance(instance: string): (SessionRow & { identity: string }) | undefined;
  activeSeatOf(identity: string): SeatRow | undefined;
  seatById(seatId: string): SeatRow | undefined;
  seatAddresses(seatId: string): string[];
}

export type CheckoutPlan =
  /**
   * Refused: the failure to answer; the `denied` event to count for this identity (none
   * for a wrong key, which the Worker records once the failure limiter allows it), and
   * whether usage counts it as a denial.
   */
  | { kind: "refuse"; failure: Failure; identity: string; event?: Omit<EventInput, "user" | "machine" | "terminalSession">; denial: boolean }
  /** A retry of a launch whose session is still active: answer it again, write nothing. */
  | { kind: "replay"; session: SessionRow; seat: SeatRow }
  /** The identity holds a seat: a new session joins it; `sharedWidely` when this session is the one that crosses the pool's address limit. */
  | { kind: "join"; identity: string; seat: SeatRow; forgetInstanceOf: string | null; sharedWidely: boolean }
  /**
   * A free seat is taken, bound to the machine id when the client sent one, for the
   * client's group (folded, or null), beyond the pool's seats when `overdraft`.
   */
  | { kind: "take"; identity: string; forgetInstanceOf: string | null; machineId: string | null; group: string | null; overdraft: boolean }
  /** A full pool and the client asked to wait: a ticket in the queue (queue.ts). */
  | { kind: "queue"; identity: string };

/** `policy` is the pool's term, blocklist and groups (policy-room.ts); without it only the seats and overdraft count. */
export function planCheckout(input: CheckoutInput, pool: PoolRow, look: CheckoutLookups, policy?: PolicyView): CheckoutPlan {
  const identity = identityKey(input.user, input.machine, input.terminalSession);
  const verdict = judgeCredentials(
    { generation: pool.generation, keyHash: pool.key_hash },
    { generation: input.generation, keyHash: input.keyHash },
    (g) => look.keyHashOfGeneration(g),
  );
  if (verdict === "invalid") {
    return {
      kind: "refuse",
      failure: failure("invalid_credentials", messages.badCredentials),
      identity,
      denial: false,
    };
  }
  if (verdict === "revoked") {
    return {
      kind: "refuse",
      failure: failure("credentials_revoked", messages.credentialsRevoked),
      identity,
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
      identity,
      event: { type: "denied", details: { reason: "client_version", clientVersion } },
      denial: false,
    };
  }

  let forgetInstanceOf: string | null = null;
  if (input.instance !== undefined) {
    const earlier = look.sessionByInstance(input.instance);
    if (earlier && earlier.identity !== identity) {
      return {
        kind: "refuse",
        failure: failure("invalid_request", messages.instanceOfAnother, {
          issues: [{ path: "instance", message: "already used by another identity" }],
        }),
        identity,
        denial: false,
      };
    }
    if (earlier && earlier.ended_at === null) return { kind: "replay", session: earlier, seat: look.seatById(earlier.seat_id)! };
    // the launch's earlier session ended: the instance id is free for this new one
    if (earlier) forgetInstanceOf = earlier.session_id;
  }

  // policy: a running session carries on (the replay above), a new one obeys the term and the blocklist
  if (policy) {
    const refusal = policyRefusal(input, pool, policy, identity);
    if (refusal) return refusal;
  }

  const machineId = input.machineId === undefined ? null : foldText(input.machineId);
  const held = look.activeSeatOf(identity);
  if (decideSeat(held !== undefined, pool.in_use, pool.seats) === "join") {
    return planJoin(input, pool, held!, identity, machineId, forgetInstanceOf, look);
  }
  const group = PolicyRoom.groupKey(input.group);
  const figures = policy?.figures ?? { seats: pool.seats, overdraftSeats: pool.overdraft_seats, inUse: pool.in_use, groups: new Map(), groupInUse: new Map() };
  const take = decideTake(figures, group);
  switch (take.verdict) {
    case "take":
      return { kind: "take", identity, forgetInstanceOf, machineId, group, overdraft: take.overdraft };
    case "group_full":
      return {
        kind: "refuse",
        failure: failure("group_full", messages.groupFull(take.group, take.max), { group: take.group, max: take.max, inUse: take.inUse }),
        identity,
        event: { type: "denied", details: { reason: "group_full", group: take.group, max: take.max, inUse: take.inUse } },
        denial: true,
      };
    case "full":
      if (input.wait === true) return { kind: "queue", identity };
      return {
        kind: "refuse",
        failure: failure("pool_full", messages.poolFull(pool.seats), { seats: pool.seats, inUse: pool.in_use }),
        identity,
        event: { type: "denied", details: { reason: "pool_full", seats: pool.seats, inUse: pool.in_use } },
        denial: true,
      };
  }
}

/** The term and the blocklist, before any seat is looked at. */
function policyRefusal(input: CheckoutInput, pool: PoolRow, policy: PolicyView, identity: string): CheckoutPlan | undefined {
  const term = judgeTerm(policy.now, pool.valid_from, pool.valid_until);
  if (term !== "ok") {
    const validFrom = pool.valid_from === null ? null : iso(pool.valid_from);
    const validUntil = pool.valid_until === null ? null : iso(pool.valid_until);
    return {
      kind: "refuse",
      failure: failure("pool_inactive", messages.poolInactive(term, validFrom, validUntil), { validFrom, validUntil }),
      identity,
      event: { type: "denied", details: { reason: "pool_inactive", validFrom, validUntil } },
      denial: false,
    };
  }
  const rule = blockingRule(policy.blocked, input.user, input.machine);
  if (rule) {
    return {
      kind: "refuse",
      failure: failure("blocked", messages.blocked),
      identity,
      event: { type: "denied", details: { reason: "blocked", rule: { user: rule.user ?? null, machine: rule.machine ?? null } } },
      denial: false,
    };
  }
  return undefined;
}

/**
 * Joining a held seat has limits, so one identity cannot carry a team: the machine the
 * seat is bound to, the sessions one seat may carry, and the addresses they come from.
 */
function planJoin(
  input: CheckoutInput, pool: PoolRow, seat: SeatRow, identity: string, machineId: string | null,
  forgetInstanceOf: string | null, look: CheckoutLookups,
): CheckoutPlan {
  const tooMany = (reason: "machine_mismatch" | "sessions" | "addresses", max: number): CheckoutPlan => ({
    kind: "refuse",
    failure: failure("too_many_sessions", messages.tooManySessions(reason, max), { reason, max }),
    identity,
    event: { type: "denied", seatId: seat.seat_id, details: { reason: "too_many_sessions", limit: reason, max } },
    denial: false,
  });
  if (seat.machine_id !== null && machineId !== seat.machine_id) return tooMany("machine_mismatch", pool.max_sessions_per_seat);
  if (seat.sessions >= pool.max_sessions_per_seat) return tooMany("sessions", pool.max_sessions_per_seat);
  let sharedWidely = false;
  if (input.address !== null) {
    const addresses = look.seatAddresses(seat.seat_id);
    if (!addresses.includes(input.address) && addresses.length + 1 > pool.max_addresses_per_seat) {
      if (pool.refuse_widely_shared_seats) return tooMany("addresses", pool.max_addresses_per_seat);
      sharedWidely = seat.shared_widely === 0;
    }
  }
  return { kind: "join", identity, seat, forgetInstanceOf, sharedWidely };
}
