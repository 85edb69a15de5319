import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { RETRY_DELAYS } from "../../durable-objects/webhooks";
import { call, createPool, expectError } from "./helpers";

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
  });
});
