/**
 * The queue's webhooks end to end: the real local server (npm start's), a real receiver,
 * and the signature checked with `standardwebhooks`. Idleness comes from the heartbeat's
 * `idleSince`, as an HTTP-only client sends it.
 */
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
});
