import { abortAllDurableObjects, env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MeteredSql } from "../../durable-objects/metered-sql";
import { PoolStore } from "../../durable-objects/pool-store";
import { Timers, timerKinds, type TimerHandlers } from "../../durable-objects/timers";
import { RETRY_DELAYS, Webhooks } from "../../durable-objects/webhooks";
import { VENDOR, call, checkout, createPool, expectError, type TestPool } from "./helpers";

/** A handler for every kind that does nothing, for tests that run one room's timers. */
const noTimers = Object.fromEntries(timerKinds.map((k) => [k, () => {}])) as unknown as TimerHandlers;

function stubOf(poolId: string) {
  return env.POOL.get(env.POOL.idFromName(poolId));
}

/** Makes every webhook timer due and runs the alarm handler, as if the retry's wait had passed. */
async function retryNow(poolId: string): Promise<{ dueAfter: number | null; ranAt: number }> {
  return runInDurableObject(stubOf(poolId), async (instance, state) => {
    state.storage.sql.exec("UPDATE timers SET due_at = 0 WHERE kind = 'webhook'");
    const ranAt = Date.now();
    await instance.alarm!();
    const after = state.storage.sql.exec<{ t: number | null }>("SELECT MIN(due_at) AS t FROM timers WHERE kind = 'webhook'").one().t;
    return { dueAfter: after, ranAt };
  });
}

describe("webhooks in the Workers runtime", () => {
  it("refuses URLs that are not https or that name private, loopback or link-local addresses", async () => {
    const pool = await createPool(1);
    for (const url of [
      "http://example.com/hook", "https://localhost/x", "https://app.localhost/x", "https://127.0.0.1/x", "https://10.1.2.3/x",
      "https://172.16.0.1/x", "https://192.168.1.1/x", "https://169.254.169.254/latest", "https://[::1]/x", "https://[fe80::1]/x",
      "https://[fd00::5]/x", "https://[::ffff:127.0.0.1]/x", "https://0x7f.1/x", "not a url",
    ]) {
      const res = await call("POST", `/v1/pools/${pool.poolId}/webhooks`, { token: pool.adminKey, body: { url, events: ["seat.freed"] } });
      expectError(res, 400, "invalid_request");
    }
    const bad = await call("POST", `/v1/pools/${pool.poolId}/webhooks`, { token: pool.adminKey, body: { url: "https://example.com/x", events: ["no.such"] } });
    expectError(bad, 400, "invalid_request");
    const ok = await call("POST", `/v1/pools/${pool.poolId}/webhooks`, { token: pool.adminKey, body: { url: "https://hooks.example.com/x", events: ["seat.freed"] } });
    expect(ok.status).toBe(201);
    expect(ok.body.secret).toMatch(/^whsec_/);
    const removed = await call("DELETE", `/v1/pools/${pool.poolId}/webhooks/${ok.body.webhookId}`, { token: pool.adminKey });
    expect(removed.body).toEqual({ removed: true });
    expectError(await call("DELETE", `/v1/pools/${pool.poolId}/webhooks/${ok.body.webhookId}`, { token: pool.adminKey }), 404, "not_found");
    expectError(await call("GET", `/v1/pools/${pool.poolId}/webhooks/wh_nope/deliveries`, { token: pool.adminKey }), 404, "not_found");
  });

  it("gives a receiver that never answers up after the last retry, on the contract's back-off, and shows it failed", async () => {
    const pool = await createPool(1);
    // straight to the object: the Worker's URL guard would refuse this unreachable local address
    const added = await stubOf(pool.poolId).addWebhook({ role: "vendor" }, { webhookId: "wh_dead", url: "http://127.0.0.1:9/", events: ["credentials.rotated"], secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" });
    expect(added.ok).toBe(true);
    expect((await call("POST", `/v1/pools/${pool.poolId}/credentials`, { token: pool.adminKey, body: {} })).status).toBe(201);

    const log = async () => (await call("GET", `/v1/pools/${pool.poolId}/webhooks/wh_dead/deliveries`, { token: pool.adminKey })).body.deliveries;
    // the alarm makes the first attempt at once, outside the rotation's transaction
    for (let i = 0; i < 100 && (await log())[0].attempts === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await log()).toEqual([{ id: expect.stringMatching(/^msg_/), type: "credentials.rotated", at: expect.any(String), attempts: 1, status: "pending", lastError: expect.stringMatching(/^could not connect/) }]);
    const firstRetry = await runInDurableObject(stubOf(pool.poolId), (_i, state) => state.storage.sql.exec<{ t: number }>("SELECT due_at AS t FROM timers WHERE kind = 'webhook'").one().t);
    expect(firstRetry - Date.now()).toBeGreaterThan(RETRY_DELAYS[0] - 5_000);

    for (let attempt = 2; attempt <= RETRY_DELAYS.length; attempt++) {
      const r = await retryNow(pool.poolId);
      const [d] = await log();
      expect(d).toMatchObject({ attempts: attempt, status: "pending", lastError: expect.stringMatching(/^could not connect/) });
      // the next try waits 30 s, 2 min, 10 min, 1 h, 6 h
      expect(r.dueAfter! - r.ranAt).toBeGreaterThanOrEqual(RETRY_DELAYS[attempt - 1]! - 1000);
      expect(r.dueAfter! - r.ranAt).toBeLessThan(RETRY_DELAYS[attempt - 1]! + 60_000);
    }
    const last = await retryNow(pool.poolId);
    expect(last.dueAfter).toBeNull();
    const [d] = await log();
    expect(d).toMatchObject({ attempts: 6, status: "failed" });
    await runInDurableObject(stubOf(pool.poolId), (instance) => instance.alarm!()); // nothing left to run: no change
    expect((await log())[0]).toMatchObject({ attempts: 6, status: "failed" });

    // its payload names people as the audit log does: it goes with the pool's retention (90 days by default)
    await runInDurableObject(stubOf(pool.poolId), async (instance, state) => {
      state.storage.sql.exec("UPDATE deliveries SET at = at - ?", 89 * 86_400_000);
      state.storage.sql.exec("UPDATE timers SET due_at = 0 WHERE kind = 'retention'");
      await instance.alarm!();
    });
    expect(await log()).toHaveLength(1);
    await runInDurableObject(stubOf(pool.poolId), async (instance, state) => {
      state.storage.sql.exec("UPDATE deliveries SET at = at - ?", 2 * 86_400_000);
      state.storage.sql.exec("UPDATE timers SET due_at = 0 WHERE kind = 'retention'");
      await instance.alarm!();
    });
    expect(await log()).toEqual([]);
  });
});

const DAY = 86_400_000;
const directory = () => env.DIRECTORY.get(env.DIRECTORY.idFromName("directory"));
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/** Waits until the pool's alarm has made a first attempt at each of the subscription's deliveries (it runs at once, outside the event's transaction). */
async function attempted(path: string, token: string, count = 1): Promise<any[]> {
  for (let i = 0; i < 200; i++) {
    const res = await call("GET", path, { token });
    if (res.status === 200 && res.body.deliveries.length >= count && res.body.deliveries.every((d: { attempts: number }) => d.attempts > 0)) return res.body.deliveries;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no attempt at ${path}`);
}

describe("vendor-wide webhooks", () => {
  it("are the vendor's: added with the secret shown once, listed without it, removed; a pool admin is refused and changes nothing", async () => {
    const pool = await createPool(1);
    const created = await call("POST", "/v1/webhooks", { token: VENDOR, body: { url: "https://crm.vendor.example/seatkeeper", events: ["pool.denied", "pool.denied", "seat.freed"] } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toEqual({ webhookId: expect.stringMatching(/^wh_/), url: "https://crm.vendor.example/seatkeeper", events: ["pool.denied", "seat.freed"], createdAt: expect.any(String), secret: expect.stringMatching(/^whsec_/) });
    const listed = await call("GET", "/v1/webhooks", { token: VENDOR });
    expect(listed.body.webhooks).toContainEqual({ webhookId: created.body.webhookId, url: "https://crm.vendor.example/seatkeeper", events: ["pool.denied", "seat.freed"], createdAt: created.body.createdAt });
    expect(JSON.stringify(listed.body)).not.toContain(created.body.secret.slice(6));
    // not a pool's webhook: the pool's list does not show it
    expect((await call("GET", `/v1/pools/${pool.poolId}/webhooks`, { token: VENDOR })).body.webhooks).toEqual([]);

    for (const [method, path, body] of [["POST", "/v1/webhooks", { url: "https://evil.example/x", events: ["seat.freed"] }], ["GET", "/v1/webhooks"], ["DELETE", `/v1/webhooks/${created.body.webhookId}`]] as const) {
      const refused = await call(method, path, { token: pool.adminKey, body });
      expectError(refused, 403, "forbidden");
      expect(refused.body.error.details.role).toBe("admin");
    }
    expect((await call("GET", "/v1/webhooks", { token: VENDOR })).body).toEqual(listed.body);

    // the same URL guard and validation as a pool's
    expectError(await call("POST", "/v1/webhooks", { token: VENDOR, body: { url: "https://10.0.0.7/x", events: ["seat.freed"] } }), 400, "invalid_request");
    expectError(await call("POST", "/v1/webhooks", { token: VENDOR, body: { url: "https://crm.vendor.example/x", events: [] } }), 400, "invalid_request");
    expectError(await call("POST", "/v1/webhooks", { token: VENDOR, body: { url: "https://crm.vendor.example/x", events: ["pool.nope"] } }), 400, "invalid_request");
    expect((await call("GET", "/v1/webhooks", { token: VENDOR })).body).toEqual(listed.body);

    expect((await call("DELETE", `/v1/webhooks/${created.body.webhookId}`, { token: VENDOR })).body).toEqual({ removed: true });
    expectError(await call("DELETE", `/v1/webhooks/${created.body.webhookId}`, { token: VENDOR }), 404, "not_found");
    expect((await call("GET", "/v1/webhooks", { token: VENDOR })).body.webhooks.map((w: { webhookId: string }) => w.webhookId)).not.toContain(created.body.webhookId);
  });

  it("get every pool's events: each pool turns its one outbox row into a delivery per subscription, with its own id and log", async () => {
    const a = await createPool(1);
    const b = await createPool(1);
    // straight to the directory: the Worker's URL guard would refuse these unreachable local addresses
    const rotated = await directory().addVendorWebhook({ webhookId: "wh_vendor_rotated", url: "http://127.0.0.1:9/rotated", events: ["credentials.rotated"], secret: SECRET });
    const freed = await directory().addVendorWebhook({ webhookId: "wh_vendor_freed", url: "http://127.0.0.1:9/freed", events: ["seat.freed"], secret: SECRET });
    try {
      expect((await call("POST", `/v1/pools/${a.poolId}/credentials`, { token: a.adminKey, body: {} })).status).toBe(201);
      expect((await call("POST", `/v1/pools/${b.poolId}/credentials`, { token: b.adminKey, body: {} })).status).toBe(201);
      const logOf = (p: TestPool, id: string) => `/v1/pools/${p.poolId}/webhooks/${id}/deliveries`;
      const [fromA] = await attempted(logOf(a, rotated.webhookId), VENDOR);
      const [fromB] = await attempted(logOf(b, rotated.webhookId), VENDOR);
      for (const d of [fromA, fromB]) expect(d).toMatchObject({ type: "credentials.rotated", attempts: 1, status: "pending", lastError: expect.stringMatching(/^could not connect/) });
      expect(fromA.id).not.toBe(fromB.id);
      // only the subscription to that event got one; the outbox rows are gone, each delivery has its retry timer
      expect((await call("GET", logOf(a, freed.webhookId), { token: VENDOR })).body.deliveries).toEqual([]);
      const stored = await runInDurableObject(stubOf(a.poolId), (_i, state) => ({
        outbox: state.storage.sql.exec("SELECT * FROM vendor_outbox").toArray(),
        timers: state.storage.sql.exec<{ kind: string; key: string }>("SELECT kind, key FROM timers WHERE kind IN ('webhook', 'vendor_webhook')").toArray(),
        payload: JSON.parse(state.storage.sql.exec<{ payload: string }>("SELECT payload FROM deliveries WHERE id = ?", fromA.id).one().payload),
      }));
      expect(stored.outbox).toEqual([]);
      expect(stored.timers).toEqual([{ kind: "webhook", key: fromA.id }]);
      expect(stored.payload).toMatchObject({ type: "credentials.rotated", data: { poolId: a.poolId, generation: 2 } });

      // the log is the vendor's: a pool admin finds no such webhook on the pool, and an unknown id is 404 for the vendor too
      expectError(await call("GET", logOf(a, rotated.webhookId), { token: a.adminKey }), 404, "not_found");
      expectError(await call("GET", logOf(a, "wh_nobody"), { token: VENDOR }), 404, "not_found");

      // retries go the normal way; once the vendor removes the subscription, each pool drops its pending delivery at the next try
      await retryNow(a.poolId);
      expect((await call("GET", logOf(a, rotated.webhookId), { token: VENDOR })).body.deliveries[0]).toMatchObject({ id: fromA.id, attempts: 2, status: "pending" });
      expect((await call("DELETE", `/v1/webhooks/${rotated.webhookId}`, { token: VENDOR })).status).toBe(200);
      const r = await retryNow(a.poolId);
      expect(r.dueAfter).toBeNull();
      expect(await runInDurableObject(stubOf(a.poolId), (_i, state) => state.storage.sql.exec("SELECT id FROM deliveries").toArray())).toEqual([]);
    } finally {
      await directory().removeVendorWebhook(rotated.webhookId);
      await directory().removeVendorWebhook(freed.webhookId);
    }
  });

  it("keep an EU pool's payloads in the pool: the directory never stores the names an event carries", async () => {
    const eu = await createPool(1, { region: "eu" });
    const freed = await directory().addVendorWebhook({ webhookId: "wh_vendor_eu", url: "http://127.0.0.1:9/eu", events: ["seat.freed"], secret: SECRET });
    try {
      const seat = await checkout(eu, { user: "Zoë Quellerby", machine: "EU-LAPTOP-77" });
      expect((await call("DELETE", `/v1/pools/${eu.poolId}/seats/${seat.body.seatId}`, { token: VENDOR })).status).toBe(200);
      const [d] = await attempted(`/v1/pools/${eu.poolId}/webhooks/${freed.webhookId}/deliveries`, VENDOR);
      expect(d).toMatchObject({ type: "seat.freed", attempts: 1 });
      const payload = await runInDurableObject(stubOf(eu.poolId), (_i, state) => state.storage.sql.exec<{ payload: string }>("SELECT payload FROM deliveries WHERE id = ?", d.id).one().payload);
      expect(JSON.parse(payload).data).toMatchObject({ user: "Zoë Quellerby", machine: "EU-LAPTOP-77" });
      const everything = await runInDurableObject(directory(), (_i, state) => {
        const tables = state.storage.sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\'").toArray();
        return JSON.stringify(tables.map((t) => state.storage.sql.exec(`SELECT * FROM "${t.name}"`).toArray()));
      });
      expect(everything).toContain(freed.webhookId);
      expect(everything).not.toContain("Quellerby");
      expect(everything).not.toContain("EU-LAPTOP-77");
    } finally {
      await directory().removeVendorWebhook(freed.webhookId);
    }
  });

  it("lose nothing when the directory cannot be asked: the outbox row and its timer wait for the next try", async () => {
    const pool = await createPool(1);
    await runInDurableObject(stubOf(pool.poolId), async (_i, state) => {
      const db = new MeteredSql(state.storage.sql);
      const store = new PoolStore(db);
      const timers = new Timers(store, state.storage);
      const hooks = new Webhooks(db, timers);
      hooks.load();
      const p = store.readPool()!;
      const now = Date.now();
      state.storage.transactionSync(() => hooks.emit(p, "credentials.rotated", { generation: 2 }, now));
      const [row] = state.storage.sql.exec<{ id: string }>("SELECT id FROM vendor_outbox").toArray();
      const timerOf = () => state.storage.sql.exec<{ due_at: number }>("SELECT due_at FROM timers WHERE kind = 'vendor_webhook' AND key = ?", row!.id).toArray()[0]?.due_at;
      expect(timerOf()).toBe(now);
      const handlers = { ...noTimers, vendor_webhook: (id: string) => hooks.vendorTimerFired(id, now), webhook: (id: string) => hooks.timerFired(id, now) };
      const commit = (fn: () => void) => state.storage.transactionSync(fn);

      state.storage.transactionSync(() => timers.runDue(now, handlers));
      await hooks.sendDue(commit, () => now, () => Promise.reject(new Error("directory unavailable")));
      expect(state.storage.sql.exec("SELECT id FROM vendor_outbox").toArray()).toEqual([row]);
      expect(timerOf()).toBe(now + RETRY_DELAYS[0]);
      expect(state.storage.sql.exec("SELECT id FROM deliveries").toArray()).toEqual([]);

      // the next try finds the directory: one delivery per subscription to the type, and the row is gone
      const later = now + RETRY_DELAYS[0];
      state.storage.transactionSync(() => timers.runDue(later, { ...handlers, vendor_webhook: (id: string) => hooks.vendorTimerFired(id, later) }));
      await hooks.sendDue(commit, () => later, async () => [
        { webhookId: "wh_one", url: "http://127.0.0.1:9/one", events: ["credentials.rotated"], secret: SECRET },
        { webhookId: "wh_two", url: "http://127.0.0.1:9/two", events: ["credentials.rotated", "seat.freed"], secret: SECRET },
        { webhookId: "wh_other", url: "http://127.0.0.1:9/other", events: ["seat.freed"], secret: SECRET },
      ]);
      expect(state.storage.sql.exec("SELECT id FROM vendor_outbox").toArray()).toEqual([]);
      expect(timerOf()).toBeUndefined();
      const deliveries = state.storage.sql.exec<{ webhook_id: string; vendor: number; attempts: number; at: number }>("SELECT webhook_id, vendor, attempts, at FROM deliveries ORDER BY webhook_id").toArray();
      expect(deliveries).toEqual([
        { webhook_id: "wh_one", vendor: 1, attempts: 1, at: now },
        { webhook_id: "wh_two", vendor: 1, attempts: 1, at: now },
      ]);
    });
  });
});

/** Sets the pool's term's end through the API, as the vendor does. */
async function setValidUntil(pool: TestPool, validUntil: number | null) {
  const res = await call("PATCH", `/v1/pools/${pool.poolId}`, { token: VENDOR, body: { validUntil: validUntil === null ? null : new Date(validUntil).toISOString() } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

async function expiringTimers(pool: TestPool): Promise<Record<string, number>> {
  return runInDurableObject(stubOf(pool.poolId), (_i, state) =>
    Object.fromEntries(state.storage.sql.exec<{ key: string; due_at: number }>("SELECT key, due_at FROM timers WHERE kind = 'pool_expiring'").toArray().map((t) => [t.key, t.due_at])));
}

/** The `pool.expiring` payloads the pool's subscription got, oldest first. */
async function expiringSent(pool: TestPool): Promise<Array<{ validUntil: string; daysLeft: number }>> {
  return runInDurableObject(stubOf(pool.poolId), (_i, state) =>
    state.storage.sql.exec<{ payload: string }>("SELECT payload FROM deliveries WHERE type = 'pool.expiring' AND vendor = 0 ORDER BY at, id").toArray()
      .map((d) => JSON.parse(d.payload).data));
}

/** As if `ms` had passed: the term's end and every timer moved that far into the past, and the object started again from storage. */
async function passTime(pool: TestPool, ms: number) {
  await runInDurableObject(stubOf(pool.poolId), (_i, state) => {
    state.storage.sql.exec("UPDATE pool SET valid_until = valid_until - ?", ms);
    state.storage.sql.exec("UPDATE timers SET due_at = due_at - ?", ms);
  });
  await abortAllDurableObjects();
  await runInDurableObject(stubOf(pool.poolId), (instance) => instance.alarm!());
  // a warning sent is due at once: its delivery runs now, not into the next restart
  await runDurableObjectAlarm(stubOf(pool.poolId));
}

describe("pool.expiring", () => {
  it("is sent 14 and 3 days before validUntil, once each, as time passes", async () => {
    const pool = await createPool(1);
    await stubOf(pool.poolId).addWebhook({ role: "vendor" }, { webhookId: "wh_term", url: "http://127.0.0.1:9/", events: ["pool.expiring"], secret: SECRET });
    const validUntil = Date.now() + 20 * DAY;
    await setValidUntil(pool, validUntil);
    expect(await expiringTimers(pool)).toEqual({ "14": validUntil - 14 * DAY, "3": validUntil - 3 * DAY });
    expect(await expiringSent(pool)).toEqual([]);

    await passTime(pool, 5 * DAY); // 15 days left: not yet
    expect(await expiringSent(pool)).toEqual([]);
    await passTime(pool, DAY + 60_000); // just under 14 days left
    const end = new Date(validUntil - 6 * DAY - 60_000).toISOString();
    expect(await expiringSent(pool)).toEqual([{ poolId: pool.poolId, validUntil: end, daysLeft: 14 }]);
    await passTime(pool, DAY); // once: not again the next day
    expect(await expiringSent(pool)).toHaveLength(1);
    await passTime(pool, 10 * DAY); // just under 3 days left
    const later = new Date(validUntil - 17 * DAY - 60_000).toISOString();
    expect(await expiringSent(pool)).toEqual([{ poolId: pool.poolId, validUntil: end, daysLeft: 14 }, { poolId: pool.poolId, validUntil: later, daysLeft: 3 }]);
    expect(await expiringTimers(pool)).toEqual({});
    await passTime(pool, 3 * DAY); // the term ends: nothing more
    expect(await expiringSent(pool)).toHaveLength(2);
  });

  it("moves with validUntil: a warning under a day past fires at once, an older one never, and clearing the term clears them", async () => {
    const pool = await createPool(1);
    await stubOf(pool.poolId).addWebhook({ role: "vendor" }, { webhookId: "wh_term", url: "http://127.0.0.1:9/", events: ["pool.expiring"], secret: SECRET });
    await setValidUntil(pool, Date.now() + 30 * DAY);
    // 2 days and an hour ahead: the 3-day warning is 23 hours late, so due at once; the 14-day one is 12 days late, so never
    const soon = Date.now() + 2 * DAY + 3_600_000;
    await setValidUntil(pool, soon);
    expect(await expiringTimers(pool)).toEqual({ "3": soon - 3 * DAY });
    await runInDurableObject(stubOf(pool.poolId), (instance) => instance.alarm!());
    expect(await expiringSent(pool)).toEqual([{ poolId: pool.poolId, validUntil: new Date(soon).toISOString(), daysLeft: 3 }]);
    expect(await expiringTimers(pool)).toEqual({});

    await setValidUntil(pool, Date.now() + 30 * DAY);
    expect(Object.keys(await expiringTimers(pool)).sort()).toEqual(["14", "3"]);
    await setValidUntil(pool, null);
    expect(await expiringTimers(pool)).toEqual({});
    // a term ending tomorrow: both warnings are over a day late
    await setValidUntil(pool, Date.now() + DAY);
    expect(await expiringTimers(pool)).toEqual({});
    await runInDurableObject(stubOf(pool.poolId), (instance) => instance.alarm!());
    expect(await expiringSent(pool)).toHaveLength(1);
  });
});
