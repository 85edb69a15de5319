import { readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ownSeatsOf, PoolFullError, QueueAbortedError, SeatActiveError, TicketEndedError, type CreatePoolResponse, type SessionEndedError,
} from "../../src/client/index.js";
import { startLocalServer, type LocalServer } from "./local-server";
import { cleanUp, clientFor, createPool, inUse, poolAdmin, tempDir, uniqueUser } from "./sdk-helpers";
import { until } from "./live-helpers";

let server: LocalServer;
beforeAll(async () => {
  server = await startLocalServer();
});
afterAll(() => cleanUp(server));

const admin = (pool: CreatePoolResponse) => poolAdmin(server, pool);

/** A waiting checkout, with every place in line it was told and how it ended. */
function waiter(pool: CreatePoolResponse, options: { live?: false; signal?: AbortSignal } = {}) {
  const configDir = tempDir("seatkeeper-config-");
  const client = clientFor(server, pool, { user: uniqueUser("waiter"), configDir, ...(options.live === false ? { live: false } : {}) });
  const places: [number, number][] = [];
  let outcome: { ok: true } | { ok: false; error: unknown } | undefined;
  // polling: a short interval, so a test does not wait 15 s for each change; live: one so long that only the channel can tell of a change
  const pollIntervalMs = options.live === false ? 200 : 600_000;
  const seat = client.checkout({ wait: true, onQueued: (p, w) => places.push([p, w]), signal: options.signal, pollIntervalMs });
  seat.then(() => (outcome = { ok: true }), (error: unknown) => (outcome = { ok: false, error }));
  return { client, configDir, places, seat, done: () => outcome !== undefined, outcome: () => outcome };
}

const last = (places: [number, number][]) => places[places.length - 1];

describe.each([
  ["over the ticket's live channel", {}],
  ["by polling the ticket (live channel off)", { live: false as const }],
])("checkout({ wait: true }) %s", (_name, mode) => {
  it("queues on a full pool, tells each place in line, and resolves with the seat once holders release", async () => {
    const pool = await createPool(server, 1);
    const holder = clientFor(server, pool);
    await holder.checkout();

    const first = waiter(pool, mode);
    await until(() => first.places.length > 0, "the first waiter's place");
    expect(first.places).toEqual([[1, 1]]);
    const second = waiter(pool, mode);
    await until(() => second.places.length > 0, "the second waiter's place");
    expect(second.places).toEqual([[2, 2]]);
    await until(() => last(first.places)?.[1] === 2, "the first waiter to hear that two wait");
    const queue = await admin(pool).queue(pool.poolId);
    expect(queue.waiting.map((w) => w.position)).toEqual([1, 2]);
    expect(first.done() || second.done()).toBe(false);

    await holder.release();
    const seat = await first.seat;
    expect(seat.sessionId).toMatch(/^ses_/);
    expect(first.client.sessionId).toBe(seat.sessionId);
    expect(first.places).toEqual([[1, 1], [1, 2]]);
    // journalled like any checkout, so a crash while holding it is recovered
    expect(readdirSync(path.join(first.configDir, "held"))).toHaveLength(1);
    expect(await inUse(server, pool.poolId)).toBe(1);
    await until(() => last(second.places)?.[0] === 1, "the second waiter to move up");
    expect(second.places).toEqual([[2, 2], [1, 1]]);
    expect(second.done()).toBe(false);

    // the granted session is an ordinary one: it heartbeats and releases
    expect(await first.client.heartbeat()).toMatchObject({ active: true });
    expect(await first.client.release()).toMatchObject({ released: true, seatFreed: true });
    const next = await second.seat;
    expect((await admin(pool).listSeats(pool.poolId)).seats.map((s) => s.seatId)).toEqual([next.seatId]);
    expect((await admin(pool).queue(pool.poolId)).waiting).toEqual([]);
    await second.client.release();
    expect(await inUse(server, pool.poolId)).toBe(0);
  });

  it("leaves the queue when its signal aborts, and rejects with an AbortError", async () => {
    const pool = await createPool(server, 1);
    const holder = clientFor(server, pool);
    await holder.checkout();
    const abort = new AbortController();
    const w = waiter(pool, { ...mode, signal: abort.signal });
    await until(() => w.places.length > 0, "the waiter's place");
    expect((await admin(pool).queue(pool.poolId)).waiting).toHaveLength(1);

    abort.abort();
    const error = await w.seat.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueueAbortedError);
    expect((error as Error).name).toBe("AbortError");
    expect((await admin(pool).queue(pool.poolId)).waiting).toEqual([]);
    // nobody waits: the holder's release leaves the seat free
    await holder.release();
    expect(await inUse(server, pool.poolId)).toBe(0);
    expect(w.client.sessionId).toBeUndefined();
  });

  it("rejects with TicketEndedError (cancelled) when an admin removes the waiter", async () => {
    const pool = await createPool(server, 1);
    await clientFor(server, pool).checkout();
    const w = waiter(pool, mode);
    await until(() => w.places.length > 0, "the waiter's place");
    const [ticket] = (await admin(pool).queue(pool.poolId)).waiting;
    expect(await admin(pool).removeFromQueue(pool.poolId, ticket!.ticketId)).toEqual({ removed: true });
    const error = await w.seat.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TicketEndedError);
    expect((error as TicketEndedError).reason).toBe("cancelled");
    expect((error as TicketEndedError).message).toMatch(/removed by an administrator/);
  });
});

describe("checkout without wait", () => {
  it("is still a PoolFullError on a full pool, and an already aborted signal never joins the queue", async () => {
    const pool = await createPool(server, 1);
    await clientFor(server, pool).checkout();
    await expect(clientFor(server, pool).checkout()).rejects.toBeInstanceOf(PoolFullError);
    const abort = new AbortController();
    abort.abort();
    await expect(clientFor(server, pool).checkout({ wait: true, signal: abort.signal })).rejects.toBeInstanceOf(QueueAbortedError);
    expect((await admin(pool).queue(pool.poolId)).waiting).toEqual([]);
  });
});

describe("releasing your own seat from another machine", () => {
  it("is refused while the holder is active, and frees the seat once setIdle() told the service the user went idle", async () => {
    const pool = await createPool(server, 1);
    const user = uniqueUser("dana");
    const ends: SessionEndedError[] = [];
    const office = clientFor(server, pool, { user, machine: "OFFICE-PC", onEnded: (e) => ends.push(e) });
    const held = await office.checkout();
    await until(() => office.liveState === "open", "the office's live channel to open");

    const laptop = clientFor(server, pool, { user, machine: "LAPTOP-7" });
    const full = await laptop.checkout().catch((e: unknown) => e);
    expect(full).toBeInstanceOf(PoolFullError);
    const own = ownSeatsOf(full as PoolFullError);
    expect(own).toEqual([expect.objectContaining({ seatId: held.seatId, machine: "OFFICE-PC", connected: true })]);

    await expect(laptop.releaseOwnSeat(held.seatId)).rejects.toBeInstanceOf(SeatActiveError);
    expect(await inUse(server, pool.poolId)).toBe(1);

    expect(office.setIdle()).toBe(true);
    // the idle message and the release travel different ways: try until the service has read the first
    let freed: unknown;
    await until(async () => {
      freed = await laptop.releaseOwnSeat(held.seatId).catch((e: unknown) => (e instanceof SeatActiveError ? undefined : e));
      return freed !== undefined;
    }, "the self-release to be allowed");
    expect(freed).toMatchObject({ freed: true, pool: { inUse: 0 } });
    await until(() => ends.length > 0, "the office to hear of the end");
    expect(ends[0]!.reason).toBe("freed");
    const events = await admin(pool).events(pool.poolId);
    expect(events.events.find((e) => e.type === "freed")?.actor).toBe(`self:${user}@LAPTOP-7`);
    expect(await laptop.checkout()).toMatchObject({ seatShared: false, pool: { inUse: 1 } });
    await laptop.release();
  });

  it("a seat that is not the caller's is not found", async () => {
    const pool = await createPool(server, 1);
    const held = await clientFor(server, pool, { machine: "OFFICE-PC" }).checkout();
    const stranger = clientFor(server, pool, { machine: "LAPTOP-7" });
    await expect(stranger.releaseOwnSeat(held.seatId)).rejects.toMatchObject({ code: "not_found" });
    expect(await inUse(server, pool.poolId)).toBe(1);
  });
});

describe("idle seats taken back for someone waiting", () => {
  const settings = (pool: CreatePoolResponse, graceMinutes: number) =>
    admin(pool).updatePool(pool.poolId, { reclaimIdleMinutes: 1, reclaimGraceMinutes: graceMinutes });

  it("tells the idle holder onReclaim with the deadline, and onReclaimCancelled once setActive() says the user is back", async () => {
    const pool = await createPool(server, 1);
    await settings(pool, 30);
    const told: { reclaim: Date[]; cancelled: number; ends: SessionEndedError[] } = { reclaim: [], cancelled: 0, ends: [] };
    const holder = clientFor(server, pool, {
      onReclaim: (deadline) => told.reclaim.push(deadline),
      onReclaimCancelled: () => told.cancelled++,
      onEnded: (e) => told.ends.push(e),
    });
    await holder.checkout();
    await until(() => holder.liveState === "open", "the live channel to open");
    expect(holder.setIdle(new Date(Date.now() - 5 * 60_000))).toBe(true);
    const w = waiter(pool);
    await until(() => told.reclaim.length > 0, "the reclaim warning");
    const deadline = told.reclaim[0]!.getTime();
    expect(deadline).toBeGreaterThan(Date.now() + 25 * 60_000);
    expect(deadline).toBeLessThanOrEqual(Date.now() + 30 * 60_000);

    expect(holder.setActive()).toBe(true);
    await until(() => told.cancelled > 0, "the reclaim to be called off");
    expect(told.ends).toEqual([]);
    expect(w.done()).toBe(false);
    await holder.release();
    await w.seat;
    await w.client.release();
  });

  it("with no grace, ends the idle seat as `reclaimed` (an ordinary end) and gives it to the waiter", async () => {
    const pool = await createPool(server, 1);
    await settings(pool, 0);
    const ends: SessionEndedError[] = [];
    const holder = clientFor(server, pool, { onEnded: (e) => ends.push(e) });
    const held = await holder.checkout();
    await until(() => holder.liveState === "open", "the live channel to open");
    holder.setIdle(new Date(Date.now() - 5 * 60_000));
    const w = waiter(pool);
    const seat = await w.seat;
    await until(() => ends.length > 0, "the holder to hear of the end");
    expect(ends[0]!.reason).toBe("reclaimed");
    expect(holder.sessionId).toBeUndefined();
    expect(seat.seatId).not.toBe(held.seatId);
    expect((await admin(pool).listSeats(pool.poolId)).seats.map((s) => s.user)).toEqual([(await w.client.config()).user]);
    await w.client.release();
  });

  it("over HTTP heartbeats, setIdle() rides on the next heartbeat and the seat list shows it idle but not connected", async () => {
    const pool = await createPool(server, 1);
    await settings(pool, 0);
    const holder = clientFor(server, pool, { live: false });
    const held = await holder.checkout();
    const since = new Date(Date.now() - 5 * 60_000);
    expect(holder.setIdle(since)).toBe(false);
    expect((await admin(pool).listSeats(pool.poolId)).seats[0]!.idleSince ?? null).toBeNull();
    await holder.heartbeat();
    const [seat] = (await admin(pool).listSeats(pool.poolId)).seats;
    expect(seat).toMatchObject({ seatId: held.seatId, connected: false, idleSince: since.toISOString() });

    holder.setActive();
    await holder.heartbeat();
    expect((await admin(pool).listSeats(pool.poolId)).seats[0]!.idleSince ?? null).toBeNull();
    await holder.release();
  });
});
