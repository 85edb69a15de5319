import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { SeatkeeperAdmin, type CreatePoolResponse, type LiveSocketConstructor, type LiveState, type SessionEndedError } from "../../src/client/index.js";
import { SeatkeeperClient as BrowserClient } from "../../src/client/browser.js";
import { startLocalServer, type LocalServer } from "./local-server";
import { cleanUp, clientFor, createPool, inUse, uniqueUser } from "./sdk-helpers";
import { InspectingRelay, until } from "./live-helpers";

let server: LocalServer;
beforeAll(async () => { server = await startLocalServer(); });
afterAll(() => cleanUp(server));

const admin = (pool: CreatePoolResponse, url = server.url) => new SeatkeeperAdmin({ url, token: pool.adminKey });

/** Records every end the client is told of, with when it came, and every state of the channel. */
function watcher() {
  const ends: { error: SessionEndedError; at: number }[] = [];
  const states: LiveState[] = [];
  return { ends, states, onEnded: (error: SessionEndedError) => ends.push({ error, at: performance.now() }), onState: (s: LiveState) => states.push(s) };
}

describe("the SDK's live channel", () => {
  it("is open by default, and onEnded fires within a second of an admin's free", async () => {
    const pool = await createPool(server, 2);
    const w = watcher();
    const client = clientFor(server, pool, { onEnded: w.onEnded, live: { onState: w.onState } });
    const seat = await client.checkout();
    await until(() => client.liveState === "open", "the channel to open");

    await admin(pool).freeSeat(pool.poolId, seat.seatId);
    const answered = performance.now();
    await until(() => w.ends.length > 0, "onEnded", 5_000);
    const gap = w.ends[0]!.at - answered;
    console.log(`onEnded came ${Math.round(gap)} ms after the free's answer`);
    expect(gap).toBeLessThan(1000);
    expect(w.ends[0]!.error.reason).toBe("freed");
    expect(w.ends).toHaveLength(1);
    expect(w.states).toEqual(["open", "closed"]);
    expect(client.sessionId).toBeUndefined();
    expect(client.liveState).toBe("off");
    expect(await client.release()).toEqual({ released: false }); // nothing held any more
  });

  it("release closes the channel without telling the application its own release as an end", async () => {
    const pool = await createPool(server, 1);
    const w = watcher();
    const client = clientFor(server, pool, { onEnded: w.onEnded });
    await client.checkout();
    await until(() => client.liveState === "open", "the channel to open");
    expect(client.setIdle(new Date())).toBe(true);
    expect(client.setActive()).toBe(true);
    expect(await client.release()).toMatchObject({ released: true, seatFreed: true });
    expect(client.liveState).toBe("off");
    await new Promise((r) => setTimeout(r, 300));
    expect(w.ends).toHaveLength(0);
    expect(await inUse(server, pool.poolId)).toBe(0);
  });

  it("with live: false opens no channel and keeps the HTTP heartbeat, which still learns of a free", async () => {
    const pool = await createPool(server, 1);
    const relay = new InspectingRelay(server.port, { refuseUpgrades: false });
    await relay.open();
    try {
      const w = watcher();
      const client = clientFor(server, pool, { url: relay.url, live: false, heartbeat: { intervalMs: 200, onEnded: w.onEnded } });
      const seat = await client.checkout();
      expect(client.liveState).toBe("off");
      await admin(pool).freeSeat(pool.poolId, seat.seatId);
      await until(() => w.ends.length > 0, "the heartbeat to learn of the free", 10_000);
      expect(w.ends[0]!.error.reason).toBe("freed");
      expect(relay.upgrades()).toHaveLength(0);
    } finally {
      await relay.close();
    }
  });

  it("falls back to HTTP heartbeats when a proxy refuses the upgrade with 403, and still learns of a free", async () => {
    const pool = await createPool(server, 1);
    const relay = new InspectingRelay(server.port, { refuseUpgrades: true });
    await relay.open();
    try {
      const w = watcher();
      const client = clientFor(server, pool, { url: relay.url, onEnded: w.onEnded, heartbeat: { intervalMs: 300 }, live: { onState: w.onState } });
      const seat = await client.checkout();
      await until(() => client.liveState === "fallback", "the fall-back to heartbeats");
      expect(relay.upgrades().length).toBeGreaterThanOrEqual(1);
      expect(relay.upgrades()[0]!.headers.authorization).toMatch(/^Bearer /);
      expect(w.states).not.toContain("open");

      await admin(pool).freeSeat(pool.poolId, seat.seatId);
      await until(() => w.ends.length > 0, "a heartbeat to learn of the free", 10_000);
      expect(w.ends[0]!.error.reason).toBe("freed");
      expect(w.ends).toHaveLength(1);
      expect(client.liveState).toBe("off");
    } finally {
      await relay.close();
    }
  });

  it("ends the session when the channel is refused with 410: the seat was freed while the client was away", async () => {
    const pool = await createPool(server, 1);
    const relay = new InspectingRelay(server.port, { refuseUpgrades: false });
    await relay.open();
    const w = watcher();
    const client = clientFor(server, pool, { url: relay.url, onEnded: w.onEnded, live: { maxBackoffMs: 200 } });
    try {
      const seat = await client.checkout();
      await until(() => client.liveState === "open", "the channel to open");
      await relay.close(); // the network drops: the channel is gone, the client retries
      await until(() => client.liveState !== "open", "the client to see the drop");
      await admin(pool).freeSeat(pool.poolId, seat.seatId);
      await relay.open();
      await until(() => w.ends.length > 0, "the reconnection's 410 to end the session", 15_000);
      expect(w.ends[0]!.error.reason).toBe("freed");
      expect(w.ends[0]!.error.status).toBe(410);
    } finally {
      client.close();
      await relay.close();
    }
  });

  it("in a browser sends the token as the subprotocol (no header), and is told of a free the same way", async () => {
    const pool = await createPool(server, 1);
    const relay = new InspectingRelay(server.port, { refuseUpgrades: false });
    await relay.open();
    try {
      const w = watcher();
      const client = new BrowserClient({
        url: relay.url, serial: pool.serial, productKey: pool.productKey, user: uniqueUser("web"), machine: "BROWSER", storage: null,
        onEnded: w.onEnded,
        live: { WebSocket: WebSocket as unknown as LiveSocketConstructor },
      });
      const seat = await client.checkout();
      await until(() => client.liveState === "open", "the channel to open");
      const upgrade = relay.upgrades()[0]!;
      expect(upgrade.headers.authorization).toBeUndefined();
      expect(upgrade.headers["sec-websocket-protocol"]!.split(",").map((p) => p.trim())).toEqual(["seatkeeper.v1", `bearer.${seat.token}`]);
      await admin(pool).freeSeat(pool.poolId, seat.seatId);
      await until(() => w.ends.length > 0, "onEnded", 5_000);
      expect(w.ends[0]!.error.reason).toBe("freed");
    } finally {
      await relay.close();
    }
  });

  // Last: it restarts the server the other tests use.
  it("reconnects after the server is killed and restarted, and keeps its one seat", async () => {
    const pool = await createPool(server, 2);
    const w = watcher();
    const client = clientFor(server, pool, { onEnded: w.onEnded, live: { maxBackoffMs: 1_000, onState: w.states.push.bind(w.states) } });
    const seat = await client.checkout();
    await until(() => client.liveState === "open", "the channel to open");

    await server.stop("SIGKILL");
    await until(() => client.liveState !== "open", "the client to see the drop");
    await server.restart();
    await until(() => client.liveState === "open", "the channel to open again", 60_000);

    expect(w.states.filter((s) => s === "open").length).toBeGreaterThanOrEqual(2);
    expect(w.ends).toHaveLength(0);
    expect(client.sessionId).toBe(seat.sessionId);
    const seats = (await admin(pool).listSeats(pool.poolId)).seats;
    expect(seats).toHaveLength(1);
    expect(seats[0]!.seatId).toBe(seat.seatId);
    expect(await inUse(server, pool.poolId)).toBe(1);
    expect((await client.status()).active).toBe(true);
    expect(await client.release()).toMatchObject({ released: true, seatFreed: true, pool: { inUse: 0 } });
  });
});
