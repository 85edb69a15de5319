import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, startLocalServer, type LocalServer } from "./local-server";
import { startReceiver, untilFound, verified } from "./webhook-receiver";

let server: LocalServer;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
// /flaky and /flaky-vendor answer 500 to their first delivery; /silent never answers; everything else 200
beforeAll(async () => {
  receiver = await startReceiver((path, n) => (path === "/silent" ? 0 : path.startsWith("/flaky") && n === 1 ? 500 : 200));
  server = await startLocalServer();
});
afterAll(async () => {
  await server?.dispose();
  await receiver?.close();
});

const http = (method: string, path: string, body?: unknown, token?: string) => api(server, method, path, body, token);

const allEvents = ["pool.usage_high", "pool.denied", "seat.freed", "seat.reclaimed", "credentials.rotated", "pool.expiring", "queue.waiting"];

describe("webhooks delivered to a real local receiver", () => {
  it("delivers usage_high, denied (the first in the hour only), seat.freed and credentials.rotated, each signed so standardwebhooks verifies it", async () => {
    const pool = (await http("POST", "/v1/pools", { customer: "Hooks Ltd", seats: 2 }, server.vendorToken)).body;
    const created = await http("POST", `/v1/pools/${pool.poolId}/webhooks`, { url: `${receiver.url}/all`, events: allEvents }, pool.adminKey);
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    const secret: string = created.body.secret;
    const listed = await http("GET", `/v1/pools/${pool.poolId}/webhooks`, undefined, pool.adminKey);
    expect(listed.body.webhooks).toEqual([{ webhookId: created.body.webhookId, url: `${receiver.url}/all`, events: allEvents, createdAt: expect.any(String) }]);
    expect(JSON.stringify(listed.body)).not.toContain(secret.slice(6));

    const creds = { serial: pool.serial, productKey: pool.productKey };
    const ann = await http("POST", "/v1/sessions", { ...creds, user: "ann", machine: "PC-1" });
    await http("POST", "/v1/sessions", { ...creds, user: "bob", machine: "PC-2" });
    expect((await http("POST", "/v1/sessions", { ...creds, user: "cy", machine: "PC-3" })).status).toBe(409);
    expect((await http("POST", "/v1/sessions", { ...creds, user: "dee", machine: "PC-4" })).status).toBe(409); // same hour: no second alert
    expect((await http("DELETE", `/v1/pools/${pool.poolId}/seats/${ann.body.seatId}`, undefined, pool.adminKey)).status).toBe(200);
    expect((await http("POST", `/v1/pools/${pool.poolId}/credentials`, { endSessions: false }, pool.adminKey)).status).toBe(201);

    const mine = () => receiver.received.filter((r) => r.path === "/all" && r.body.includes(pool.poolId));
    await untilFound("four deliveries", () => mine().length >= 4);
    await new Promise((r) => setTimeout(r, 1500)); // nothing more is coming, and the outcomes are recorded
    const events = mine().map((r) => verified(secret, r));
    expect(events.map((e) => e.type).sort()).toEqual(["credentials.rotated", "pool.denied", "pool.usage_high", "seat.freed"]);
    const byType = Object.fromEntries(events.map((e) => [e.type, e]));
    expect(byType["pool.usage_high"]!.data).toMatchObject({ poolId: pool.poolId, seats: 2, inUse: 2, thresholdPercent: 90 });
    expect(byType["pool.denied"]!.data).toMatchObject({ poolId: pool.poolId, code: "pool_full", user: "cy" });
    // the refused caller's names only: never its key's hash, address, machine id or launch
    expect(Object.keys(byType["pool.denied"]!.data).sort()).toEqual(["code", "inUse", "machine", "poolId", "seats", "terminalSession", "user"]);
    expect(byType["seat.freed"]!.data).toMatchObject({ poolId: pool.poolId, seatId: ann.body.seatId, user: "ann", machine: "PC-1" });
    expect(byType["credentials.rotated"]!.data).toMatchObject({ poolId: pool.poolId, generation: 2 });
    // a forged signature is refused by the same verifier
    const forged = { ...mine()[0]!, body: mine()[0]!.body.replace("poolId", "poolid") };
    expect(() => verified(secret, forged)).toThrow();

    const log = await http("GET", `/v1/pools/${pool.poolId}/webhooks/${created.body.webhookId}/deliveries`, undefined, pool.adminKey);
    expect(log.body.deliveries).toHaveLength(4);
    for (const d of log.body.deliveries) expect(d).toMatchObject({ status: "delivered", attempts: 1, lastError: null });
  });

  it("sends pool.usage_high again only after use fell 10 points below the threshold", async () => {
    const pool = (await http("POST", "/v1/pools", { customer: "Busy Ltd", seats: 10 }, server.vendorToken)).body;
    const hook = (await http("POST", `/v1/pools/${pool.poolId}/webhooks`, { url: `${receiver.url}/usage`, events: ["pool.usage_high"] }, pool.adminKey)).body;
    const creds = { serial: pool.serial, productKey: pool.productKey };
    const take = async (user: string) => {
      const s = await http("POST", "/v1/sessions", { ...creds, user, machine: `PC-${user}` });
      expect(s.status).toBe(201);
      return s.body as { sessionId: string; token: string };
    };
    const give = async (s: { sessionId: string; token: string }) => expect((await http("DELETE", `/v1/sessions/${s.sessionId}`, undefined, s.token)).status).toBe(200);
    const held = [];
    for (let i = 1; i <= 9; i++) held.push(await take(`u${i}`)); // 90 %: the alert
    const usage = () => receiver.received.filter((r) => r.path === "/usage" && r.body.includes(pool.poolId));
    await untilFound("the first alert", () => usage().length >= 1);
    await give(held.pop()!); // 80 %: not 10 points below 90 yet
    held.push(await take("u9-again")); // 90 % again: no second alert
    await give(held.pop()!);
    await give(held.pop()!); // 70 %: below 80, so the next rise alerts again
    held.push(await take("u8-again"), await take("u9-third")); // 90 %
    await untilFound("the second alert", () => usage().length >= 2);
    await new Promise((r) => setTimeout(r, 1500)); // nothing more is coming
    const alerts = usage().map((r) => verified(hook.secret, r));
    expect(alerts.map((a) => a.type)).toEqual(["pool.usage_high", "pool.usage_high"]);
    for (const a of alerts) expect(a.data).toMatchObject({ poolId: pool.poolId, seats: 10, inUse: 9, thresholdPercent: 90 });
    expect(new Set(usage().map((r) => r.headers["webhook-id"])).size).toBe(2);
  });

  it("sends pool.expiring at once for a term set to end in 2 days: the 3-day warning, under a day late", async () => {
    const pool = (await http("POST", "/v1/pools", { customer: "Ending Ltd", seats: 1 }, server.vendorToken)).body;
    const hook = (await http("POST", `/v1/pools/${pool.poolId}/webhooks`, { url: `${receiver.url}/term`, events: ["pool.expiring"] }, pool.adminKey)).body;
    // two days and an hour: the 3-day moment passed 23 hours ago, the 14-day one 11 days ago (never sent)
    const validUntil = new Date(Date.now() + 2 * 86_400_000 + 3_600_000).toISOString();
    expect((await http("PATCH", `/v1/pools/${pool.poolId}`, { validUntil }, server.vendorToken)).status).toBe(200);
    const term = () => receiver.received.filter((r) => r.path === "/term" && r.body.includes(pool.poolId));
    await untilFound("the warning", () => term().length >= 1);
    await new Promise((r) => setTimeout(r, 1500)); // and only the one
    expect(term()).toHaveLength(1);
    const warning = verified(hook.secret, term()[0]!);
    expect(warning).toMatchObject({ type: "pool.expiring", data: { poolId: pool.poolId, validUntil, daysLeft: 3 } });
    const log = await http("GET", `/v1/pools/${pool.poolId}/webhooks/${hook.webhookId}/deliveries`, undefined, pool.adminKey);
    expect(log.body.deliveries).toEqual([expect.objectContaining({ type: "pool.expiring", status: "delivered", attempts: 1 })]);
  });

  it("delivers a pool's events to a vendor-wide webhook too, signed with its own secret, logged in the pool for the vendor", async () => {
    const created = await http("POST", "/v1/webhooks", { url: `${receiver.url}/vendor`, events: ["credentials.rotated", "seat.freed"] }, server.vendorToken);
    expect(created.status).toBe(201);
    const vendorHook = created.body as { webhookId: string; secret: string };
    try {
      const pool = (await http("POST", "/v1/pools", { customer: "Everywhere Ltd", seats: 2, region: "eu" }, server.vendorToken)).body;
      const own = (await http("POST", `/v1/pools/${pool.poolId}/webhooks`, { url: `${receiver.url}/own`, events: ["credentials.rotated"] }, pool.adminKey)).body;
      expect((await http("POST", `/v1/pools/${pool.poolId}/credentials`, { endSessions: false }, pool.adminKey)).status).toBe(201);
      const at = (path: string) => receiver.received.filter((r) => r.path === path && r.body.includes(pool.poolId));
      await untilFound("both deliveries", () => at("/vendor").length >= 1 && at("/own").length >= 1);
      await new Promise((r) => setTimeout(r, 1500)); // the outcomes are recorded, and nothing more is coming
      expect(at("/vendor")).toHaveLength(1);
      const [toVendor] = at("/vendor");
      const [toPool] = at("/own");
      expect(verified(vendorHook.secret, toVendor!)).toMatchObject({ type: "credentials.rotated", data: { poolId: pool.poolId, generation: 2 } });
      expect(() => verified(own.secret, toVendor!)).toThrow(); // each subscription signs with its own secret
      expect(toVendor!.headers["webhook-id"]).not.toBe(toPool!.headers["webhook-id"]);
      expect(toVendor!.body).toBe(toPool!.body); // the same event

      const log = await http("GET", `/v1/pools/${pool.poolId}/webhooks/${vendorHook.webhookId}/deliveries`, undefined, server.vendorToken);
      expect(log.body.deliveries).toEqual([{ id: toVendor!.headers["webhook-id"], type: "credentials.rotated", at: expect.any(String), attempts: 1, status: "delivered", lastError: null }]);
      expect((await http("GET", `/v1/pools/${pool.poolId}/webhooks/${vendorHook.webhookId}/deliveries`, undefined, pool.adminKey)).status).toBe(404);
    } finally {
      expect((await http("DELETE", `/v1/webhooks/${vendorHook.webhookId}`, undefined, server.vendorToken)).status).toBe(200);
    }
  });

  it("counts a receiver that takes the delivery and never answers as failed after 10 seconds, and tries again later", async () => {
    const pool = (await http("POST", "/v1/pools", { customer: "Silent Ltd", seats: 1 }, server.vendorToken)).body;
    const hook = (await http("POST", `/v1/pools/${pool.poolId}/webhooks`, { url: `${receiver.url}/silent`, events: ["credentials.rotated"] }, pool.adminKey)).body;
    const sentAt = Date.now();
    expect((await http("POST", `/v1/pools/${pool.poolId}/credentials`, {}, pool.adminKey)).status).toBe(201);
    await untilFound("the silent receiver to be called", () => receiver.received.find((r) => r.path === "/silent"));
    const [attempt] = await untilFound("the attempt recorded", async () => {
      const log = (await http("GET", `/v1/pools/${pool.poolId}/webhooks/${hook.webhookId}/deliveries`, undefined, pool.adminKey)).body.deliveries;
      return log[0]?.attempts === 1 ? log : undefined;
    }, 30_000);
    expect(attempt).toMatchObject({ type: "credentials.rotated", attempts: 1, status: "pending", lastError: "no answer within 10 s" });
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(10_000);
    // (the retries after 30 s … 6 h and the give-up are in test/workers/webhooks.test.ts, which can move time)
  });

  it("refuses a loopback http URL only when the service is not started for local receivers (npm start allows it)", async () => {
    const pool = (await http("POST", "/v1/pools", { customer: "Guard Ltd", seats: 1 }, server.vendorToken)).body;
    const bad = await http("POST", `/v1/pools/${pool.poolId}/webhooks`, { url: "ftp://example.com/x", events: ["seat.freed"] }, pool.adminKey);
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("invalid_request");
  });

  it("retries a receiver that answered 500 with the same webhook-id, and still delivers after a kill -9 (a vendor-wide one too)", async () => {
    const pool = (await http("POST", "/v1/pools", { customer: "Flaky Ltd", seats: 1 }, server.vendorToken)).body;
    const hook = (await http("POST", `/v1/pools/${pool.poolId}/webhooks`, { url: `${receiver.url}/flaky`, events: ["credentials.rotated"] }, pool.adminKey)).body;
    const vendorHook = (await http("POST", "/v1/webhooks", { url: `${receiver.url}/flaky-vendor`, events: ["credentials.rotated"] }, server.vendorToken)).body;
    await http("POST", `/v1/pools/${pool.poolId}/credentials`, {}, pool.adminKey);
    const flaky = () => receiver.received.filter((r) => r.path === "/flaky");
    const flakyVendor = () => receiver.received.filter((r) => r.path === "/flaky-vendor" && r.body.includes(pool.poolId));
    await untilFound("the first attempts", () => flaky().length >= 1 && flakyVendor().length >= 1);
    await new Promise((r) => setTimeout(r, 1000)); // the outcomes are recorded just after the receiver answers
    const pending = await http("GET", `/v1/pools/${pool.poolId}/webhooks/${hook.webhookId}/deliveries`, undefined, pool.adminKey);
    expect(pending.body.deliveries[0]).toMatchObject({ status: "pending", attempts: 1, lastError: "HTTP 500" });
    const vendorPending = await http("GET", `/v1/pools/${pool.poolId}/webhooks/${vendorHook.webhookId}/deliveries`, undefined, server.vendorToken);
    expect(vendorPending.body.deliveries[0]).toMatchObject({ status: "pending", attempts: 1, lastError: "HTTP 500" });

    // the retry is due in about 30 s; the service dies before it
    await server.stop("SIGKILL");
    await server.restart();
    await http("GET", `/v1/pools/${pool.poolId}`, undefined, pool.adminKey);

    await untilFound("the retries", () => flaky().length >= 2 && flakyVendor().length >= 2, 90_000);
    const [first, second] = flaky();
    expect(second!.headers["webhook-id"]).toBe(first!.headers["webhook-id"]);
    expect(verified(hook.secret, second!).type).toBe("credentials.rotated");
    const [firstVendor, secondVendor] = flakyVendor();
    expect(secondVendor!.headers["webhook-id"]).toBe(firstVendor!.headers["webhook-id"]);
    expect(verified(vendorHook.secret, secondVendor!).data.poolId).toBe(pool.poolId);
    await new Promise((r) => setTimeout(r, 1000)); // the outcome is recorded just after the receiver answers
    const log = await http("GET", `/v1/pools/${pool.poolId}/webhooks/${hook.webhookId}/deliveries`, undefined, pool.adminKey);
    expect(log.body.deliveries[0]).toMatchObject({ id: first!.headers["webhook-id"], status: "delivered", attempts: 2, lastError: null });
    const vendorLog = await http("GET", `/v1/pools/${pool.poolId}/webhooks/${vendorHook.webhookId}/deliveries`, undefined, server.vendorToken);
    expect(vendorLog.body.deliveries[0]).toMatchObject({ id: firstVendor!.headers["webhook-id"], status: "delivered", attempts: 2, lastError: null });
    expect((await http("DELETE", `/v1/webhooks/${vendorHook.webhookId}`, undefined, server.vendorToken)).status).toBe(200);
  });
});
