/**
 * The dashboard's webhook form where the URL guard is on (no ALLOW_INSECURE_WEBHOOKS, as in
 * production; `npm start` turns it off, so the browser tests cannot see this): an http URL and a
 * loopback https URL are refused with the server's words, nothing is added, and no 5xx.
 */
import { describe, expect, it } from "vitest";
import { call, createPool, csrfOf, dashboardBrowser } from "./helpers";

describe("the dashboard's webhook form with the URL guard on", () => {
  it("refuses an http URL and a loopback one in the server's words, adds nothing, and adds a public https one", async () => {
    const pool = await createPool(2);
    const go = dashboardBrowser("192.0.2.51");
    expect((await go("POST", "/admin/sign-in", [["credential", pool.adminKey]])).status).toBe(303);
    const page = await go("GET", `/admin/pools/${pool.poolId}/webhooks`);
    expect(page.status).toBe(200);
    const csrf = csrfOf(page.text);

    for (const [url, message] of [
      ["http://hooks.example.com/seatkeeper", "A webhook URL must use https. Nothing was added."],
      ["https://127.0.0.1/seatkeeper", "A webhook URL must not name a private, loopback or link-local address (127.0.0.1); use a public https address. Nothing was added."],
      ["https://[::1]:8443/x", "A webhook URL must not name a private, loopback or link-local address ([::1]); use a public https address. Nothing was added."],
    ] as const) {
      const posted = await go("POST", `/admin/pools/${pool.poolId}/webhooks`, [["_csrf", csrf], ["url", url], ["events", "seat.freed"]]);
      expect(posted.status, url).toBe(303);
      const shown = await go("GET", posted.location!);
      expect(shown.status).toBe(200);
      expect(shown.text, url).toContain(message);
    }
    expect((await call("GET", `/v1/pools/${pool.poolId}/webhooks`, { token: pool.adminKey })).body.webhooks).toEqual([]);

    const ok = await go("POST", `/admin/pools/${pool.poolId}/webhooks`, [["_csrf", csrf], ["url", "https://hooks.example.com/seatkeeper"], ["events", "seat.freed"], ["events", "pool.denied"]]);
    expect(ok.status).toBe(303);
    const shown = await go("GET", ok.location!);
    expect(shown.text).toContain("Added the webhook to https://hooks.example.com/seatkeeper: it sends seat.freed, pool.denied.");
    const secret = /id="webhook-secret"[^>]*>(whsec_[^<]+)</.exec(shown.text)![1]!;
    expect((await go("GET", ok.location!)).text).not.toContain(secret);
    expect((await call("GET", `/v1/pools/${pool.poolId}/webhooks`, { token: pool.adminKey })).body.webhooks).toEqual([
      expect.objectContaining({ url: "https://hooks.example.com/seatkeeper", events: ["seat.freed", "pool.denied"] }),
    ]);
  });
});
