/** The dashboard's data card: the export download, and erasure and deletion each behind a confirmation page. */
import { describe, expect, it } from "vitest";
import { VENDOR, call, checkout, createPool, release, csrfOf, dashboardBrowser } from "./helpers";

describe("the dashboard's data card", () => {
  it("downloads the export, asks before erasing and deleting, then does so", async () => {
    const pool = await createPool(2, { region: "eu" });
    const s = await checkout(pool, { user: "Hanna", machine: "PC-H" });
    expect((await release(s.body.sessionId, s.body.token)).status).toBe(200);

    const go = dashboardBrowser();
    expect((await go("POST", "/admin/sign-in", { credential: VENDOR })).status).toBe(303);
    const page = await go("GET", `/admin/pools/${pool.poolId}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain("kept in the EU");
    expect(page.text).toContain("Delete this pool");
    const csrf = csrfOf(page.text);

    const exported = await go("GET", `/admin/pools/${pool.poolId}/export`);
    expect(exported.status).toBe(200);
    expect(exported.type).toContain("application/x-ndjson");
    expect(exported.text.trimEnd().split("\n").map((l) => JSON.parse(l).kind)).toContain("seat");
    expect(exported.text).toContain("Hanna");

    const ask = await go("POST", `/admin/pools/${pool.poolId}/erasure`, { _csrf: csrf, user: "hanna", machine: "", confirmed: "" });
    expect(ask.status).toBe(200);
    expect(ask.text).toContain("Erase this person");
    expect((await call("GET", `/v1/pools/${pool.poolId}/seats`, { token: VENDOR })).status).toBe(200);
    expect(JSON.stringify((await call("GET", `/v1/pools/${pool.poolId}/events`, { token: VENDOR })).body)).toContain("Hanna");
    const erased = await go("POST", `/admin/pools/${pool.poolId}/erasure`, { _csrf: csrf, user: "hanna", machine: "", confirmed: "yes" });
    expect(erased.status).toBe(303);
    expect(JSON.stringify((await call("GET", `/v1/pools/${pool.poolId}/events`, { token: VENDOR })).body)).not.toContain("Hanna");
    expect((await go("GET", erased.location!.replace(/#.*/, ""))).text).toContain("Erased the names from 4 records");

    const confirm = await go("POST", `/admin/pools/${pool.poolId}/delete`, { _csrf: csrf, confirmed: "" });
    expect(confirm.status).toBe(200);
    expect(confirm.text).toContain("Delete this pool?");
    expect((await call("GET", `/v1/pools/${pool.poolId}`, { token: VENDOR })).status).toBe(200);
    const deleted = await go("POST", `/admin/pools/${pool.poolId}/delete`, { _csrf: csrf, confirmed: "yes" });
    expect(deleted.status).toBe(303);
    expect(deleted.location).toBe("/admin");
    expect((await call("GET", `/v1/pools/${pool.poolId}`, { token: VENDOR })).status).toBe(404);
    expect((await go("GET", "/admin")).text).toContain(`Deleted pool ${pool.poolId}`);
  });

  it("offers a pool admin export and erasure, but not deletion", async () => {
    const pool = await createPool(1);
    const go = dashboardBrowser();
    expect((await go("POST", "/admin/sign-in", { credential: pool.adminKey })).status).toBe(303);
    const page = await go("GET", `/admin/pools/${pool.poolId}`);
    expect(page.text).toContain("Export everything this pool holds");
    expect(page.text).not.toContain("Delete this pool");
    const refused = await go("POST", `/admin/pools/${pool.poolId}/delete`, { _csrf: csrfOf(page.text), confirmed: "yes" });
    expect(refused.status).toBe(303);
    expect((await call("GET", `/v1/pools/${pool.poolId}`, { token: VENDOR })).status).toBe(200);
  });
});
