import { describe, expect, it } from "vitest";
import { planCheckout, type CheckoutLookups } from "../../durable-objects/checkout-plan";
import { identityKey } from "../../durable-objects/decisions";
import type { PoolRow, SeatRow, SessionRow } from "../../durable-objects/pool-store";

const pool: PoolRow = {
  pool_id: "P1", customer: "Acme", seats: 2, in_use: 0, min_client_version: null, stale_after_hours: null,
  generation: 2, key_hash: "cur", admin_key_hash: "adm", created_at: 0,
  max_sessions_per_seat: 3, max_addresses_per_seat: 2, refuse_widely_shared_seats: 0, alert_threshold_percent: 90,
};
const ask = { generation: 2, keyHash: "cur", user: "ann", machine: "PC-1", address: "192.0.2.1" };

function seat(seat_id: string, user: string, machine: string, extra: Partial<SeatRow> = {}): SeatRow {
  return {
    seat_id, identity: identityKey(user, machine, null), user, machine, terminal_session: null, since: 0, last_seen_at: 0,
    sessions: 1, ended_at: null, machine_id: null, shared_widely: 0, ...extra,
  };
}

/** Lookups over plain maps: the plan reads nothing else. */
function lookups(opts: { seats?: SeatRow[]; sessions?: (SessionRow & { identity: string })[]; history?: Map<number, string>; addresses?: string[] } = {}): CheckoutLookups {
  const seats = opts.seats ?? [];
  return {
    keyHashOfGeneration: (g) => opts.history?.get(g),
    sessionByInstance: (i) => opts.sessions?.find((s) => s.instance === i),
    activeSeatOf: (identity) => seats.find((s) => s.identity === identity && s.ended_at === null),
    seatById: (id) => seats.find((s) => s.seat_id === id),
    seatAddresses: () => opts.addresses ?? [],
  };
}

function session(session_id: string, seat_id: string, instance: string, identity: string, ended: boolean): SessionRow & { identity: string } {
  return { session_id, seat_id, instance, client_version: null, started_at: 0, last_seen_at: 0, ended_at: ended ? 1 : null, end_reason: ended ? "released" : null, address: null, identity };
}

describe("the checkout plan", () => {
  it("takes a free seat, and names the identity the seat is keyed by", () => {
    expect(planCheckout(ask, pool, lookups())).toEqual({ kind: "take", identity: identityKey("ann", "PC-1", undefined), forgetInstanceOf: null, machineId: null });
    expect(planCheckout({ ...ask, machineId: " GUID-1 " }, pool, lookups())).toMatchObject({ kind: "take", machineId: "guid-1" });
  });

  it("joins the seat the identity holds, naming it, even on a full pool", () => {
    const held = seat("seat_a", "ANN ", "pc-1");
    const plan = planCheckout(ask, { ...pool, in_use: 2 }, lookups({ seats: [held] }));
    expect(plan).toMatchObject({ kind: "join", seat: { seat_id: "seat_a" }, sharedWidely: false });
  });

  it("refuses a full pool with the figures, an event to log, and a denial for usage", () => {
    const plan = planCheckout(ask, { ...pool, in_use: 2 }, lookups({ seats: [seat("seat_b", "bob", "PC-2")] }));
    expect(plan).toMatchObject({
      kind: "refuse", denial: true,
      failure: { code: "pool_full", message: "All 2 seats of this pool are in use.", details: { seats: 2, inUse: 2 } },
      event: { type: "denied", details: { reason: "pool_full" } },
    });
  });

  it("replays a retried launch whose session is active, and frees the id of one that ended", () => {
    const held = seat("seat_a", "ann", "PC-1");
    const live = session("ses_1", "seat_a", "launch-1", held.identity, false);
    const over = session("ses_0", "seat_a", "launch-0", held.identity, true);
    const look = lookups({ seats: [held], sessions: [live, over] });
    expect(planCheckout({ ...ask, instance: "launch-1" }, pool, look)).toEqual({ kind: "replay", session: live, seat: held });
    expect(planCheckout({ ...ask, instance: "launch-0" }, pool, look)).toMatchObject({ kind: "join", seat: { seat_id: "seat_a" }, forgetInstanceOf: "ses_0" });
  });

  it("refuses another identity's instance id without a denial", () => {
    const theirs = session("ses_9", "seat_z", "launch-9", identityKey("zoe", "PC-9", null), false);
    expect(planCheckout({ ...ask, instance: "launch-9" }, pool, lookups({ sessions: [theirs] }))).toMatchObject({
      kind: "refuse", denial: false, failure: { code: "invalid_request" },
    });
  });

  it("checks the credentials before anything else: wrong, revoked, then the version", () => {
    const history = new Map([[1, "old"], [2, "cur"]]);
    const full = { ...pool, in_use: 2, min_client_version: "16" };
    // a wrong key is recorded by the Worker once the failure limiter allows it, so the plan logs nothing
    const wrong = planCheckout({ ...ask, keyHash: "nope" }, full, lookups({ history }));
    expect(wrong).toMatchObject({ kind: "refuse", failure: { code: "invalid_credentials" } });
    expect(wrong).not.toHaveProperty("event");
    expect(planCheckout({ ...ask, generation: 1, keyHash: "old" }, full, lookups({ history }))).toMatchObject({ kind: "refuse", failure: { code: "credentials_revoked" } });
    expect(planCheckout({ ...ask, clientVersion: "15.9" }, full, lookups({ history }))).toMatchObject({
      kind: "refuse", failure: { code: "client_version_unsupported", details: { minClientVersion: "16", clientVersion: "15.9" } },
    });
  });

  it("refuses to join a seat bound to another machine id, or one carrying the pool's most sessions", () => {
    const bound = seat("seat_m", "ann", "PC-1", { machine_id: "guid-1" });
    expect(planCheckout({ ...ask, machineId: "GUID-1" }, pool, lookups({ seats: [bound] }))).toMatchObject({ kind: "join" });
    for (const machineId of ["guid-2", undefined]) {
      expect(planCheckout({ ...ask, machineId }, pool, lookups({ seats: [bound] }))).toMatchObject({
        kind: "refuse", failure: { code: "too_many_sessions", details: { reason: "machine_mismatch" } },
      });
    }
    const busy = seat("seat_b", "ann", "PC-1", { sessions: 3 });
    expect(planCheckout(ask, pool, lookups({ seats: [busy] }))).toMatchObject({
      kind: "refuse", denial: false, failure: { code: "too_many_sessions", details: { reason: "sessions", max: 3 } },
      event: { type: "denied", seatId: "seat_b" },
    });
  });

  it("flags a seat once when its sessions come from more addresses than allowed, or refuses where the pool says so", () => {
    const held = seat("seat_a", "ann", "PC-1");
    const two = { seats: [held], addresses: ["192.0.2.7", "192.0.2.8"] };
    expect(planCheckout({ ...ask, address: "192.0.2.7" }, pool, lookups(two))).toMatchObject({ kind: "join", sharedWidely: false });
    expect(planCheckout(ask, pool, lookups(two))).toMatchObject({ kind: "join", sharedWidely: true });
    const flagged = { ...two, seats: [{ ...held, shared_widely: 1 }] };
    expect(planCheckout(ask, pool, lookups(flagged))).toMatchObject({ kind: "join", sharedWidely: false });
    expect(planCheckout(ask, { ...pool, refuse_widely_shared_seats: 1 }, lookups(two))).toMatchObject({
      kind: "refuse", failure: { code: "too_many_sessions", details: { reason: "addresses", max: 2 } },
    });
  });
});
