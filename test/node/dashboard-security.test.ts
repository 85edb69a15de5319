/**
 * The dashboard's defences, in headless Chromium against the real local server: a pool
 * admin stays inside their pool, forged session cookies are refused, signing out ends every copy of a cookie,
 * cross-site form posts are refused at every layer, every page carries a strict CSP,
 * and wrong credentials at sign-in count against the failed-authentication limit.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DASHBOARD_CSP } from "../../src/worker/dashboard/csp.js";
import {
  api, checkout, createPool, heartbeat, launchChromium, newSignedInPage, serverSecrets, sessionCookie, signIn, type Checkout, type CreatedPool,
} from "./dashboard-browser.js";
import { startLocalServer, type LocalServer } from "./local-server.js";

let server: LocalServer;
let browser: Browser;
let attacker: Server;
let attackerUrl: string;
let attackerPage = "";

beforeAll(async () => {
  // one at a time, so that if the browser fails to start, afterAll still has the server to stop
  server = await startLocalServer();
  browser = await launchChromium();
  // Another site: http://localhost is cross-site to http://127.0.0.1.
  attacker = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(attackerPage);
  });
  await new Promise<void>((resolve) => attacker.listen(0, "127.0.0.1", resolve));
  attackerUrl = `http://localhost:${(attacker.address() as AddressInfo).port}/`;
});
afterAll(async () => {
  attacker?.close();
  await browser?.close();
  await server?.dispose();
});

const poolUrl = (poolId: string) => `${server.url}/admin/pools/${poolId}`;
const COOKIE = "__Host-seatkeeper-session";

async function contextWithCookie(value: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  await context.addCookies([{ name: COOKIE, value, domain: "127.0.0.1", path: "/", secure: true, httpOnly: true, sameSite: "Strict" }]);
  return { context, page: await context.newPage() };
}

/** A form post as a script could make it, with the headers given. */
function post(urlPath: string, form: Record<string, string>, headers: Record<string, string>): Promise<Response> {
  return fetch(`${server.url}${urlPath}`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(form).toString(),
  });
}

const sameOrigin = () => ({ "sec-fetch-site": "same-origin", origin: server.url });

describe("the dashboard's defences", () => {
  it("keeps a pool admin out of another pool's page and actions", async () => {
    const mine = await createPool(server, "Mine Ltd", 2);
    const theirs = await createPool(server, "Theirs plc", 2);
    const held = (await checkout(server, theirs, { user: "kim", machine: "PC-20" })).body as Checkout;
    const { context, page } = await newSignedInPage(browser, server, mine.adminKey);

    const response = await page.goto(poolUrl(theirs.poolId));
    expect(response!.status()).toBe(403);
    expect(await page.getByRole("heading", { level: 1 }).innerText()).toBe("Not your pool");
    const html = await page.content();
    expect(html).not.toContain("Theirs plc");
    expect(html).not.toContain("kim");

    // A same-origin post with this session's own token still cannot act on the other pool.
    await page.goto(poolUrl(mine.poolId));
    const csrf = (await page.locator("input[name=_csrf]").first().getAttribute("value"))!;
    const cookie = `${COOKIE}=${(await sessionCookie(context))!.value}`;
    for (const [action, form] of [
      [`/seats/${held.seatId}/free`, { confirmed: "yes" }],
      ["/credentials", { sessions: "end-all", confirmed: "yes" }],
      ["/admin-key", { confirmed: "yes" }],
      ["/settings", { customer: "Pwned" }],
    ] as const) {
      const res = await post(`/admin/pools/${theirs.poolId}${action}`, { _csrf: csrf, ...form }, { ...sameOrigin(), cookie });
      expect(res.status, action).toBe(403);
    }
    const created = await post("/admin/pools", { _csrf: csrf, customer: "Mine too", seats: "100" }, { ...sameOrigin(), cookie });
    expect(created.status).toBe(403);
    expect((await heartbeat(server, held)).status).toBe(200);
    const after = await api(server, "GET", `/v1/pools/${theirs.poolId}`, undefined, theirs.adminKey);
    expect(after.body).toMatchObject({ customer: "Theirs plc", serial: theirs.serial });

    await context.close();
  });

  it("refuses forged session cookies: garbage, an id never issued, a genuine id altered", async () => {
    const pool = await createPool(server, "Forgery Target", 2);
    const ok = await newSignedInPage(browser, server, pool.adminKey);
    const genuine = (await sessionCookie(ok.context))!.value;
    // the cookie is a random id and nothing else: no pool, role or key in it
    expect(genuine).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(genuine, "base64url").toString("latin1")).not.toContain(pool.poolId);
    await ok.page.goto(poolUrl(pool.poolId));
    expect(await ok.page.getByRole("heading", { level: 1 }).innerText()).toBe("Forgery Target");
    const csrf = await ok.page.locator('input[name="_csrf"]').first().getAttribute("value");
    await ok.context.close();

    const flip = (ch: string) => (ch === "A" ? "B" : "A");
    const forgeries = {
      garbage: "definitely-not-a-session",
      "an id never issued": Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url"),
      "the genuine id altered": genuine.slice(0, -1) + flip(genuine.slice(-1)),
    };
    for (const [name, value] of Object.entries(forgeries)) {
      const { context, page } = await contextWithCookie(value);
      await page.goto(poolUrl(pool.poolId));
      expect(new URL(page.url()).pathname, name).toBe("/admin");
      expect(await page.getByRole("alert").innerText(), name).toMatch(/Your session cookie was not valid|Your session has ended/);
      expect(await page.content(), name).not.toContain("Forgery Target");
      expect(await sessionCookie(context), name).toBeUndefined();
      await context.close();

      const res = await post(`/admin/pools/${pool.poolId}/settings`, { _csrf: csrf!, customer: "Forged" }, { ...sameOrigin(), cookie: `${COOKIE}=${value}` });
      expect(res.status, name).toBe(401);
    }
    expect((await api(server, "GET", `/v1/pools/${pool.poolId}`, undefined, pool.adminKey)).body.customer).toBe("Forgery Target");
  });

  it("ends a session for every copy of its cookie at sign-out", async () => {
    const pool = await createPool(server, "Copied Cookie Ltd", 2);
    const { context, page } = await newSignedInPage(browser, server, pool.adminKey);
    const copied = (await sessionCookie(context))!.value;
    const thief = await contextWithCookie(copied);
    await thief.page.goto(poolUrl(pool.poolId));
    expect(await thief.page.getByRole("heading", { level: 1 }).innerText()).toBe("Copied Cookie Ltd");
    await page.goto(poolUrl(pool.poolId));
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL((u) => u.search.includes("signed-out"));
    await thief.page.goto(poolUrl(pool.poolId));
    expect(new URL(thief.page.url()).pathname).toBe("/admin");
    expect(await thief.page.getByRole("alert").innerText()).toContain("Your session has ended");
    expect(await thief.page.content()).not.toContain("Copied Cookie Ltd");
    await thief.context.close();
    await context.close();
  });

  it("lists a person's sessions and ends another one from here", async () => {
    const pool = await createPool(server, "Two Browsers Ltd", 2);
    const first = await newSignedInPage(browser, server, pool.adminKey);
    const second = await newSignedInPage(browser, server, pool.adminKey);
    await first.page.goto(`${server.url}/admin/sessions`);
    const rows = first.page.locator("table.sessions tbody tr");
    expect(await rows.count()).toBe(2);
    expect(await rows.filter({ hasText: "This session" }).count()).toBe(1);
    await first.page.getByRole("button", { name: /^End the session/ }).click();
    expect(await first.page.locator(".message.notice").innerText()).toContain("signed out");
    expect(await rows.count()).toBe(1);
    await second.page.goto(poolUrl(pool.poolId));
    expect(new URL(second.page.url()).pathname).toBe("/admin");
    expect(await second.page.getByRole("alert").innerText()).toContain("Your session has ended");
    await first.page.goto(poolUrl(pool.poolId));
    expect(await first.page.getByRole("heading", { level: 1 }).innerText()).toBe("Two Browsers Ltd");
    await first.context.close();
    await second.context.close();
  });

  it("signs a removed admin out at once", async () => {
    const pool = await createPool(server, "Leaver Ltd", 2);
    const added = await api(server, "POST", `/v1/pools/${pool.poolId}/admins`, { name: "Leaver" }, pool.adminKey);
    expect(added.status).toBe(201);
    const leaver = await newSignedInPage(browser, server, added.body.adminKey);
    await leaver.page.goto(poolUrl(pool.poolId));
    expect(await leaver.page.getByRole("heading", { level: 1 }).innerText()).toBe("Leaver Ltd");
    expect((await api(server, "DELETE", `/v1/pools/${pool.poolId}/admins/${added.body.adminId}`, undefined, pool.adminKey)).status).toBe(200);
    await leaver.page.goto(poolUrl(pool.poolId));
    expect(new URL(leaver.page.url()).pathname).toBe("/admin");
    expect(await leaver.page.getByRole("alert").innerText()).toContain("Your session has ended");
    await leaver.context.close();
  });

  it("refuses a cross-site form post, at each layer on its own", async () => {
    const pool = await createPool(server, "Cross Site Ltd", 2);
    const held = (await checkout(server, pool, { user: "lee", machine: "PC-30" })).body as Checkout;
    const { context, page } = await newSignedInPage(browser, server, pool.adminKey);
    const csrf = (await page.locator("input[name=_csrf]").first().getAttribute("value"))!;
    const freeAction = `/admin/pools/${pool.poolId}/seats/${held.seatId}/free`;

    // A page on another site posts a form to the dashboard in the signed-in browser, even with the right token.
    attackerPage = `<!doctype html><title>Win a prize</title>
      <form method="post" action="${server.url}${freeAction}">
        <input type="hidden" name="_csrf" value="${csrf}"><input type="hidden" name="confirmed" value="yes">
        <button type="submit">Claim your prize</button>
      </form>`;
    await page.goto(attackerUrl);
    const [response] = await Promise.all([page.waitForResponse((r) => r.url().endsWith(freeAction)), page.getByRole("button", { name: "Claim your prize" }).click()]);
    expect(response.status()).toBe(403);
    await page.getByRole("heading", { name: "Request refused" }).waitFor();
    expect(await page.getByRole("alert").innerText()).toContain("sent from another site");
    expect((await heartbeat(server, held)).status).toBe(200);

    // Each layer holds without the others: replay the browser's real cookie and token from a script.
    const cookie = `${COOKIE}=${(await sessionCookie(context))!.value}`;
    const form = { _csrf: csrf, confirmed: "yes" };
    const refusals: [string, Record<string, string>, Record<string, string>, number][] = [
      ["Sec-Fetch-Site: cross-site", form, { cookie, "sec-fetch-site": "cross-site", origin: server.url }, 403],
      ["Sec-Fetch-Site: same-site", form, { cookie, "sec-fetch-site": "same-site" }, 403],
      ["a foreign Origin", form, { cookie, origin: "https://evil.example" }, 403],
      ["an opaque Origin", form, { cookie, origin: "null" }, 403],
      ["neither header", form, { cookie }, 403],
      ["no cookie", form, sameOrigin(), 401],
      ["no token", { confirmed: "yes" }, { ...sameOrigin(), cookie }, 403],
      ["a wrong token", { _csrf: "x".repeat(csrf.length), confirmed: "yes" }, { ...sameOrigin(), cookie }, 403],
    ];
    for (const [name, body, headers, status] of refusals) {
      const res = await post(freeAction, body, headers);
      expect(res.status, name).toBe(status);
      expect(res.headers.get("content-security-policy"), name).toBe(DASHBOARD_CSP);
    }
    expect((await heartbeat(server, held)).status).toBe(200);

    // With every layer satisfied, the same post goes through.
    const good = await post(freeAction, form, { ...sameOrigin(), cookie });
    expect(good.status).toBe(303);
    expect((await heartbeat(server, held)).status).toBe(410);
    await context.close();
  });

  it("sends a strict Content-Security-Policy on every page, and no page needs inline script or style", async () => {
    const pool = await createPool(server, "CSP Ltd", 2);
    await checkout(server, pool, { user: "max", machine: "PC-40" });
    const violations: string[] = [];
    const watch = (page: Page) => page.on("console", (m) => m.text().includes("Content Security Policy") && violations.push(m.text()));

    const admin = await browser.newContext();
    const page = await admin.newPage();
    watch(page);
    await signIn(page, server, pool.adminKey);
    const vendor = await newSignedInPage(browser, server, server.vendorToken);
    watch(vendor.page);
    const noScript = await newSignedInPage(browser, server, pool.adminKey, { javaScriptEnabled: false });

    const visits: [Page, string][] = [
      [page, "/admin/pools/" + pool.poolId],
      [page, "/admin/pools/" + pool.poolId + "?range=30d"],
      [page, "/admin/pools/GZZZZZZZZZZZZZZZ"],
      [page, "/admin/no-such-page"],
      [vendor.page, "/admin"],
      [vendor.page, "/admin/pools/" + pool.poolId],
    ];
    const expectStrict = async (res: Response | { headers(): Record<string, string>; text(): Promise<string> }, label: string) => {
      const headers = res instanceof Response ? Object.fromEntries(res.headers) : res.headers();
      expect(headers["content-security-policy"], label).toBe(DASHBOARD_CSP);
      expect(headers["x-frame-options"], label).toBe("DENY");
      const html = await res.text();
      expect(html, label).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
      expect(html, label).not.toMatch(/\sstyle=/i);
      expect(html, label).not.toMatch(/\son[a-z]+=/i);
      expect(html, label).toMatch(/^<!DOCTYPE html>/);
    };
    for (const [p, urlPath] of visits) await expectStrict((await p.goto(server.url + urlPath))!, urlPath);
    // The confirmation page a post answers without the page script gets the same checks.
    const [confirmation] = await Promise.all([
      noScript.page.waitForResponse((r) => r.request().method() === "POST" && r.url().endsWith("/free")),
      noScript.page.getByRole("button", { name: /^Free the seat of max/ }).click(),
    ]);
    await noScript.page.getByRole("heading", { name: "Free this seat?" }).waitFor();
    expect(confirmation.status()).toBe(200);
    await expectStrict(confirmation, "the confirmation page");
    const signedOut = await fetch(`${server.url}/admin?m=constructor`);
    expect(signedOut.status).toBe(200);
    expect(signedOut.headers.get("content-security-policy")).toBe(DASHBOARD_CSP);
    expect(violations).toEqual([]);
    await Promise.all([admin.close(), vendor.context.close(), noScript.context.close()]);
  });

  it("counts wrong credentials at sign-in against the failed-authentication limit; valid credentials still sign in", async () => {
    const pool = await createPool(server, "Rate Limit Ltd", 2);
    const wrongKey = pool.adminKey.slice(0, -5) + (pool.adminKey.endsWith("AAAAA") ? "BBBBB" : "AAAAA");
    const context = await browser.newContext();
    const page = await context.newPage();
    const statuses: number[] = [];
    let limited: { message: string; retryAfter: string | undefined } | undefined;
    for (let attempt = 0; attempt < 25 && !limited; attempt++) {
      await page.goto(`${server.url}/admin`);
      await page.getByLabel("Pool admin key or vendor token").fill(attempt % 2 ? wrongKey : "not-the-vendor-token");
      const [res] = await Promise.all([page.waitForResponse((r) => r.url().endsWith("/admin/sign-in")), page.getByRole("button", { name: "Sign in" }).click()]);
      statuses.push(res.status());
      const message = await page.getByRole("alert").innerText();
      if (res.status() === 429) limited = { message, retryAfter: res.headers()["retry-after"] };
      else expect(message).toContain("That admin key or vendor token is not valid");
    }
    expect(limited, `statuses: ${statuses.join(",")}`).toBeDefined();
    expect(statuses.filter((s) => s === 401).length).toBeGreaterThanOrEqual(10);
    expect(limited!.message).toContain("Too many failed attempts");
    expect(limited!.retryAfter).toBe("60");
    expect(await sessionCookie(context)).toBeUndefined();

    // The wrong admin key shows in the pool's own audit log.
    const events = await api(server, "GET", `/v1/pools/${pool.poolId}/events`, undefined, pool.adminKey);
    expect(events.body.events.some((e: { type: string }) => e.type === "auth_failed")).toBe(true);

    // A valid credential is never refused by the limit.
    await signIn(page, server, pool.adminKey);
    expect(page.url()).toBe(poolUrl(pool.poolId));
    await context.close();
  });
});
