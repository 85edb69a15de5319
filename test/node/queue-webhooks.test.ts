/**
 * The queue's webhooks end to end: the real local server (npm start's), a real receiver,
 * and the signature checked with `standardwebhooks`. Idleness comes from the heartbeat's
 * `idleSince`, as an HTTP-only client sends it. Five minutes of waiting are made to have
 * passed the way an operator could: the server killed, the pool's SQLite file on disk
 * changed (python3's sqlite3), the server started again; the service has no clock to set.
 */

/** Moves a ticket's wait `ms` into the past in the stopped server's state: its start, and the queue.waiting timer. */
function moveWaitBack(stateDir: string, ticketId: string, ms: number): void {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(dir, e.name));
      else if (e.name.endsWith(".sqlite")) files.push(path.join(dir, e.name));
    }
  };
  walk(stateDir);
  const script = `
import sqlite3, sys
ms, ticket, moved = int(sys.argv[1]), sys.argv[2], 0
for f in sys.argv[3:]:
    db = sqlite3.connect(f)
    if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'tickets'").fetchone() and db.execute("SELECT 1 FROM tickets WHERE ticket_id = ?", (ticket,)).fetchone():
        db.execute("UPDATE tickets SET since = since - ? WHERE ticket_id = ?", (ms, ticket))
        db.execute("UPDATE timers SET due_at = due_at - ? WHERE kind = 'queue_waiting'", (ms,))
        db.commit()
        moved += 1
    db.close()
print(moved)`;
  const moved = execFileSync("python3", ["-c", script, String(ms), ticketId, ...files], { encoding: "utf8" }).trim();
  expect(moved, "the pool's database was found on disk").toBe("1");
}
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalServer, type LocalServer } from "./local-server";
import { startReceiver, untilFound, verified } from "./webhook-receiver";

let server: LocalServer;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
beforeAll(async () => {
  receiver = await startReceiver();
  server = await startLocalServer();
});
afterAll(async () => {
  await server?.dispose();
  await receiver?.close();
});

async function http(method: string, path: string, body?: unknown, token?: string) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

describe("the queue's webhooks, delivered to a real receiver", () => {
  it("seat.reclaimed: an HTTP client idle past reclaimIdleMinutes loses its seat to the waiter at once (grace 0), signed and verified", async () => {
    const pool = (await http("POST", "/v1/pools", { customer: "Reclaim Ltd", seats: 1 }, server.vendorToken)).body;
    expect((await http("PATCH", `/v1/pools/${pool.poolId}`, { reclaimIdleMinutes: 1, reclaimGraceMinutes: 0 }, pool.adminKey)).status).toBe(200);
    const hook = await http("POST", `/v1/pools/${pool.poolId}/webhooks`, { url: `${receiver.url}/reclaim`, events: ["seat.reclaimed"] }, pool.adminKey);
    expect(hook.status).toBe(201);

    const ann = await http("POST", "/v1/sessions", { serial: pool.serial, productKey: pool.productKey, user: "ann", machine: "PC-ann" });
    expect(ann.status).toBe(201);
    const idleSince = new Date(Date.now() - 2 * 60_000).toISOString();
    expect((await http("POST", `/v1/sessions/${ann.body.sessionId}/heartbeat`, { idleSince }, ann.body.token)).status).toBe(200);
    const bob = await http("POST", "/v1/sessions", { serial: pool.serial, productKey: pool.productKey, user: "bob", machine: "PC-bob", wait: true });
    expect(bob.status).toBe(202);

    const delivery = await untilFound("seat.reclaimed", () => receiver.received.find((r) => r.path === "/reclaim"));
    const event = verified(hook.body.secret, delivery);
    expect(event).toMatchObject({ type: "seat.reclaimed", data: { poolId: pool.poolId, seatId: ann.body.seatId, user: "ann", machine: "PC-ann", terminalSession: null } });
    expect(() => verified(`whsec_${Buffer.from("not the secret, not at all").toString("base64")}`, delivery)).toThrow();

    const ticket = await http("GET", `/v1/tickets/${bob.body.ticketId}`, undefined, bob.body.token);
    expect(ticket.body).toMatchObject({ state: "granted", pool: { seats: 1, inUse: 1 } });
    const gone = await http("POST", `/v1/sessions/${ann.body.sessionId}/heartbeat`, undefined, ann.body.token);
    expect(gone.status).toBe(410);
    expect(gone.body.error.details.reason).toBe("reclaimed");
    const log = await http("GET", `/v1/pools/${pool.poolId}/webhooks/${hook.body.webhookId}/deliveries`, undefined, pool.adminKey);
    expect(log.body.deliveries).toEqual([expect.objectContaining({ type: "seat.reclaimed", status: "delivered", attempts: 1 })]);
  });

  it("queue.waiting: someone who has waited 5 minutes is told of once, with the waiter in its data, signed and verified", async () => {
    const pool = (await http("POST", "/v1/pools", { customer: "Waiting Ltd", seats: 1 }, server.vendorToken)).body;
    const hook = await http("POST", `/v1/pools/${pool.poolId}/webhooks`, { url: `${receiver.url}/waiting`, events: ["queue.waiting"] }, pool.adminKey);
    expect(hook.status).toBe(201);
    expect((await http("POST", "/v1/sessions", { serial: pool.serial, productKey: pool.productKey, user: "ann", machine: "PC-ann" })).status).toBe(201);
    const bob = await http("POST", "/v1/sessions", { serial: pool.serial, productKey: pool.productKey, user: "bob", machine: "PC-bob", wait: true });
    expect(bob.status).toBe(202);

    await server.stop("SIGKILL");
    moveWaitBack(server.stateDir, bob.body.ticketId, 5 * 60_000);
    await server.restart();
    // bob is still there (a poll is his presence), and the pool, woken, finds the five minutes passed
    expect((await http("GET", `/v1/tickets/${bob.body.ticketId}`, undefined, bob.body.token)).body).toMatchObject({ state: "waiting", position: 1 });

    const delivery = await untilFound("queue.waiting", () => receiver.received.find((r) => r.path === "/waiting"));
    const event = verified(hook.body.secret, delivery);
    expect(event).toMatchObject({
      type: "queue.waiting",
      data: { poolId: pool.poolId, ticketId: bob.body.ticketId, user: "bob", machine: "PC-bob", terminalSession: null, position: 1, waiting: 1 },
    });
    expect(event.data.waitedSeconds).toBeGreaterThanOrEqual(300);
    // once per ticket: another poll and another alarm send nothing more
    expect((await http("GET", `/v1/tickets/${bob.body.ticketId}`, undefined, bob.body.token)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1500));
    expect(receiver.received.filter((r) => r.path === "/waiting")).toHaveLength(1);
  });
});
