/**
 * The dashboard as a customer's IT department uses it, in headless Chromium against the
 * real local server: sign in with the pool's admin key, watch seats come and go, free
 * one, read the chart, reissue credentials, replace the admin key, change settings.
 */
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  api, checkout, closeServerAndBrowser, createPool, fitsWidth, heartbeat, newSignedInPage, sessionCookie, startServerAndBrowser, unnamedControls, type Checkout,
  type CreatedPool,
} from "./dashboard-browser.js";
import { ROOT, type LocalServer } from "./local-server.js";

let server: LocalServer;
let browser: Browser;
beforeAll(async () => { ({ server, browser } = await startServerAndBrowser()); });
afterAll(() => closeServerAndBrowser(server, browser));

const poolUrl = (poolId: string) => `${server.url}/admin/pools/${poolId}`;

interface Bucket {
  start: string;
  peakInUse: number;
  checkouts: number;
  denials: number;
}

/**
 * The usage API's buckets, once the page's data table shows the same rows. Read before and
 * after the page: when an hour (or day) turned in between, the page is loaded again.
 */
async function pageMatchingUsage(page: Page, pool: CreatedPool, bucket: "hour" | "day"): Promise<Bucket[]> {
  const read = async () => (await api(server, "GET", `/v1/pools/${pool.poolId}/usage?bucket=${bucket}`, undefined, pool.adminKey)).body.buckets as Bucket[];
  for (let attempt = 1; ; attempt++) {
    const before = await read();
    const rows = await page.locator("details.chart-data tbody tr").evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent)));
    const after = await read();
    if (before.at(-1)!.start === after.at(-1)!.start || attempt === 3) {
      expect(rows.map((r) => r.slice(1))).toEqual(after.map((b) => [String(b.peakInUse), String(b.checkouts), String(b.denials)]));
      return after;
    }
    await page.reload();
  }
}

async function waitForNotice(page: Page, text: string | RegExp): Promise<string> {
  const notice = page.locator("p.message.notice").filter({ hasText: text });
  await notice.waitFor();
  return notice.innerText();
}

describe("the dashboard for a pool's IT department", () => {
  it("signs a pool admin in with the admin key, into an HttpOnly, Secure, SameSite=Strict cookie that holds no credential; sign-out clears it", async () => {
    const pool = await createPool(server, "Northwind Traders", 3);
    const { context, page } = await newSignedInPage(browser, server, pool.adminKey);

    expect(page.url()).toBe(poolUrl(pool.poolId));
    expect(await page.getByRole("heading", { level: 1 }).innerText()).toBe("Northwind Traders");
    const cookie = await sessionCookie(context);
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: "Strict", path: "/", domain: "127.0.0.1" });
    // a random id, nothing more: the session itself is kept on the server
    expect(cookie!.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const keyChars = pool.adminKey.replace(/-/g, "");
    expect(cookie!.value).not.toContain(keyChars.slice(-25));
    const html = await page.content();
    expect(html).not.toContain(pool.adminKey);
    expect(html).not.toContain(keyChars.slice(-25));
    expect(await page.evaluate("document.cookie")).toBe("");

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByText("You are signed out.").waitFor();
    expect(await sessionCookie(context)).toBeUndefined();
    await page.goto(poolUrl(pool.poolId));
    expect(new URL(page.url()).pathname).toBe("/admin");
    expect(await page.getByText("Sign in to continue.").isVisible()).toBe(true);
    await context.close();
  });

  it("shows a seat checked out through the API, frees it after a confirmation, and the client's next heartbeat gets 410", async () => {
    const pool = await createPool(server, "Fabrikam", 2);
    const { context, page } = await newSignedInPage(browser, server, pool.adminKey);
    expect(await page.getByText("No seats are in use.").isVisible()).toBe(true);

    const out = await checkout(server, pool, { user: "jsmith", machine: "PC-0042", terminalSession: "RDP-Tcp#12", clientVersion: "16.0.2" });
    expect(out.status).toBe(201);
    const session = out.body as Checkout;
    await page.reload();
    const row = page.getByRole("row", { name: /jsmith/ });
    const cells = await row.getByRole("cell").allInnerTexts();
    expect(cells.slice(0, 2)).toEqual(["PC-0042", "RDP-Tcp#12"]);
    expect(cells[2]).toMatch(/just now|min ago/);
    expect(await page.getByRole("img", { name: "1 of 2 seats in use" }).count()).toBe(1);

    // Declining the confirmation changes nothing.
    const freeButton = page.getByRole("button", { name: "Free the seat of jsmith on PC-0042 (RDP-Tcp#12)" });
    page.once("dialog", (d) => void d.dismiss());
    await freeButton.click();
    expect((await heartbeat(server, session)).status).toBe(200);

    let question = "";
    page.once("dialog", (d) => {
      question = d.message();
      void d.accept();
    });
    await freeButton.click();
    expect(await waitForNotice(page, "Freed the seat")).toContain("jsmith on PC-0042");
    expect(question).toContain("Free the seat held by jsmith on PC-0042 (RDP-Tcp#12)?");
    expect(await page.getByText("No seats are in use.").isVisible()).toBe(true);
    expect(await page.getByRole("img", { name: "0 of 2 seats in use" }).count()).toBe(1);

    const hb = await heartbeat(server, session);
    expect(hb.status).toBe(410);
    expect(hb.body.error).toMatchObject({ code: "session_ended", details: { reason: "freed" } });
    const event = page.locator("table.events tr.event-freed");
    expect(await event.innerText()).toContain("admin:first admin");
    await context.close();
  });

  it("draws peak seats in use and denials as an SVG chart from the usage buckets, readable without JavaScript", async () => {
    const pool = await createPool(server, "Litware", 1);
    expect((await checkout(server, pool, { user: "ann", machine: "PC-1" })).status).toBe(201);
    expect((await checkout(server, pool, { user: "bob", machine: "PC-2" })).status).toBe(409);
    expect((await checkout(server, pool, { user: "cy", machine: "PC-3" })).status).toBe(409);

    const { context, page } = await newSignedInPage(browser, server, pool.adminKey, { javaScriptEnabled: false });
    const chart = page.getByRole("img", { name: /^Peak seats in use and denials, the last 24 hours/ });
    expect(await chart.count()).toBe(1);
    expect(await page.locator("svg.usage-chart .bucket").count()).toBe(24);
    expect(await page.locator("figure.chart figcaption").innerText()).toBe(
      "Over the last 24 hours: at most 1 seat in use at once (limit now 1); 2 checkouts turned away because the pool was full.",
    );
    // The same figures as the usage API's buckets, hour by hour, wherever the hours fell.
    const hours = await pageMatchingUsage(page, pool, "hour");
    expect(hours.reduce((n, b) => n + b.denials, 0)).toBe(2);
    expect(hours.reduce((n, b) => n + b.checkouts, 0)).toBe(1);
    expect(Math.max(...hours.map((b) => b.peakInUse))).toBe(1);
    expect(await page.locator("svg.usage-chart rect.bar-peak").count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator("svg.usage-chart rect.bar-denied").count()).toBe(hours.filter((b) => b.denials > 0).length);

    await page.getByRole("link", { name: "Last 30 days" }).click();
    expect(await page.getByRole("img", { name: /^Peak seats in use and denials, the last 30 days/ }).count()).toBe(1);
    expect(await page.locator("svg.usage-chart .bucket").count()).toBe(30);
    const days = await pageMatchingUsage(page, pool, "day");
    expect(days.reduce((n, b) => n + b.denials, 0)).toBe(2);
    expect(await page.locator("svg.usage-chart rect.bar-denied").count()).toBe(days.filter((b) => b.denials > 0).length);
    await context.close();
  });

  it("revokes and reissues the serial and product key: shown once with a copy button and a Group Policy note; the old pair is refused, running sessions carry on", async () => {
    const pool = await createPool(server, "Tailspin Toys", 3);
    const running = (await checkout(server, pool, { user: "eve", machine: "PC-9" })).body as Checkout;
    const { context, page } = await newSignedInPage(browser, server, pool.adminKey);
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.url });

    await page.getByRole("radio", { name: /Running sessions carry on/ }).check();
    let question = "";
    page.once("dialog", (d) => {
      question = d.message();
      void d.accept();
    });
    await page.getByRole("button", { name: "Revoke and reissue" }).click();
    await page.getByRole("heading", { name: "New serial number and product key: shown once" }).waitFor();
    expect(question).toContain("Running applications keep their seats");
    const serial = (await page.locator("#secret-0").innerText()).trim();
    const productKey = (await page.locator("#secret-1").innerText()).trim();
    expect(serial).not.toBe(pool.serial);
    expect(productKey).toMatch(/^[0-9A-Z]{5}(-[0-9A-Z]{5}){4}$/);
    expect(await page.locator(".shown-once").getByText("Distributing them by Group Policy").isVisible()).toBe(true);
    await page.getByRole("button", { name: "Copy product key" }).click();
    await page.getByText("Copied the product key.").waitFor();
    expect(await page.evaluate("navigator.clipboard.readText()")).toBe(productKey);

    const old = await checkout(server, pool, { user: "fay", machine: "PC-10" });
    expect(old.status).toBe(403);
    expect(old.body.error.code).toBe("credentials_revoked");
    expect((await heartbeat(server, running)).status).toBe(200);
    expect((await checkout(server, { serial, productKey }, { user: "fay", machine: "PC-10" })).status).toBe(201);

    // Shown once: a reload no longer has it.
    await page.reload();
    expect(await page.locator(".shown-once").count()).toBe(0);
    expect(await page.content()).not.toContain(productKey);
    expect(await page.locator("#current-serial").innerText()).toBe(serial);
    await context.close();
  });

  it("can instead end all running sessions now, and their next heartbeat gets 410 revoked", async () => {
    const pool = await createPool(server, "Wingtip", 3);
    const running = (await checkout(server, pool, { user: "gus", machine: "PC-11" })).body as Checkout;
    const { context, page } = await newSignedInPage(browser, server, pool.adminKey);
    await page.getByRole("radio", { name: /End all sessions now/ }).check();
    let question = "";
    page.once("dialog", (d) => {
      question = d.message();
      void d.accept();
    });
    await page.getByRole("button", { name: "Revoke and reissue" }).click();
    expect(await waitForNotice(page, "revoked")).toContain("1 running session was ended");
    expect(question).toContain("END ALL RUNNING SESSIONS NOW");
    const hb = await heartbeat(server, running);
    expect(hb.status).toBe(410);
    expect(hb.body.error.details.reason).toBe("revoked");
    expect(await page.getByRole("img", { name: "0 of 3 seats in use" }).count()).toBe(1);
    await context.close();
  });

  it("replaces the admin key: shown once, the old key is refused, the admin stays signed in and other sessions on the old key end", async () => {
    const pool = await createPool(server, "Adventure Works", 2);
    const { context, page } = await newSignedInPage(browser, server, pool.adminKey);
    const other = await newSignedInPage(browser, server, pool.adminKey);

    page.once("dialog", (d) => void d.accept());
    await page.getByRole("button", { name: "Issue a new admin key" }).click();
    await page.getByRole("heading", { name: "New admin key: shown once" }).waitFor();
    const newKey = (await page.locator("#secret-0").innerText()).trim();
    expect(newKey).toMatch(new RegExp(`^AK-${pool.poolId.slice(0, 4)}`));

    expect((await api(server, "GET", `/v1/pools/${pool.poolId}`, undefined, pool.adminKey)).status).toBe(401);
    expect((await api(server, "GET", `/v1/pools/${pool.poolId}`, undefined, newKey)).status).toBe(200);

    await page.reload();
    expect(page.url()).toBe(poolUrl(pool.poolId));
    expect(await page.getByRole("heading", { level: 1 }).innerText()).toBe("Adventure Works");

    await other.page.reload();
    expect(new URL(other.page.url()).pathname).toBe("/admin");
    expect(await other.page.getByRole("alert").innerText()).toContain("has been replaced");
    await other.context.close();
    await context.close();
  });

  it("sets the minimum client version and the stale-seat expiry, but not the number of seats", async () => {
    const pool = await createPool(server, "Coho Winery", 4);
    const { context, page } = await newSignedInPage(browser, server, pool.adminKey);
    expect(await page.getByLabel("Seats", { exact: true }).count()).toBe(0);

    await page.getByLabel("Minimum client version").fill("16.1");
    await page.getByLabel("Free a seat after this many hours without a heartbeat").fill("12");
    await page.getByRole("button", { name: "Save settings" }).click();
    await waitForNotice(page, "Settings saved.");
    const details = await api(server, "GET", `/v1/pools/${pool.poolId}`, undefined, pool.adminKey);
    expect(details.body).toMatchObject({ minClientVersion: "16.1", staleAfterHours: 12, seats: 4 });
    const old = await checkout(server, pool, { user: "hal", machine: "PC-12", clientVersion: "16.0.2" });
    expect(old.status).toBe(426);
    expect(await page.locator("table.events tr.event-pool_updated").first().innerText()).toContain("minimum client version none → 16.1");

    await page.getByLabel("Minimum client version").fill("");
    await page.getByLabel("Free a seat after this many hours without a heartbeat").fill("");
    await page.getByRole("button", { name: "Save settings" }).click();
    await waitForNotice(page, "Settings saved.");
    const cleared = await api(server, "GET", `/v1/pools/${pool.poolId}`, undefined, pool.adminKey);
    expect(cleared.body).toMatchObject({ minClientVersion: null, staleAfterHours: null });

    // A bad value is refused with a clear message, and nothing changes.
    await page.evaluate("document.querySelector('form.settings').noValidate = true");
    await page.getByLabel("Minimum client version").fill("sixteen");
    await page.getByRole("button", { name: "Save settings" }).click();
    const error = page.getByRole("alert");
    await error.waitFor();
    expect(await error.innerText()).toBe("Minimum client version: must be a dotted number such as 16.0.2. Nothing was changed.");
    // and indeed nothing was: the pool reads back as before, with no new settings event
    expect((await api(server, "GET", `/v1/pools/${pool.poolId}`, undefined, pool.adminKey)).body).toEqual(cleared.body);
    const events = (await api(server, "GET", `/v1/pools/${pool.poolId}/events`, undefined, pool.adminKey)).body.events as { type: string }[];
    expect(events.filter((e) => e.type === "pool_updated")).toHaveLength(2);
    await context.close();
  });

  it("sets the sessions and network addresses a seat may carry, and whether a seat shared too widely is refused; the pool reads them back and acts on them", async () => {
    const pool = await createPool(server, "Trey Research", 3);
    const { context, page } = await newSignedInPage(browser, server, pool.adminKey);
    // The defaults, as the API has them.
    expect(await page.getByLabel("Most sessions per seat").inputValue()).toBe("10");
    expect(await page.getByLabel("Most network addresses per seat").inputValue()).toBe("3");
    expect(await page.getByRole("radio", { name: /Only mark it/ }).isChecked()).toBe(true);
    expect(await page.getByText("Past this many, another start is refused").isVisible()).toBe(true);

    await page.getByLabel("Most sessions per seat").fill("2");
    await page.getByLabel("Most network addresses per seat").fill("1");
    await page.getByRole("radio", { name: /Refuse the start/ }).check();
    await page.getByRole("button", { name: "Save settings" }).click();
    await waitForNotice(page, "Settings saved.");
    const saved = await api(server, "GET", `/v1/pools/${pool.poolId}`, undefined, pool.adminKey);
    expect(saved.body).toMatchObject({ maxSessionsPerSeat: 2, maxAddressesPerSeat: 1, refuseWidelySharedSeats: true });
    expect(await page.getByLabel("Most sessions per seat").inputValue()).toBe("2");
    expect(await page.getByLabel("Most network addresses per seat").inputValue()).toBe("1");
    expect(await page.getByRole("radio", { name: /Refuse the start/ }).isChecked()).toBe(true);
    expect(await page.locator("table.events tr.event-pool_updated").first().innerText()).toContain(
      "most sessions per seat 10 → 2, most addresses per seat 3 → 1, refuse seats shared from more addresses off → on",
    );

    // The pool acts on them: a third session on one seat is refused, and so is a second address.
    const who = { user: "kim", machine: "PC-20" };
    expect((await checkout(server, pool, who)).status).toBe(201);
    expect((await checkout(server, pool, who)).status).toBe(201);
    const third = await checkout(server, pool, who);
    expect(third.status).toBe(409);
    expect(third.body.error).toMatchObject({ code: "too_many_sessions", details: { reason: "sessions", max: 2 } });
    const elsewhere = await fetch(`${server.url}/v1/sessions`, {
      method: "POST",
      headers: { "content-type": "application/json", "cf-connecting-ip": "198.51.100.7" },
      body: JSON.stringify({ serial: pool.serial, productKey: pool.productKey, user: "lee", machine: "PC-21" }),
    });
    expect(elsewhere.status).toBe(201);
    const again = await fetch(`${server.url}/v1/sessions`, {
      method: "POST",
      headers: { "content-type": "application/json", "cf-connecting-ip": "198.51.100.8" },
      body: JSON.stringify({ serial: pool.serial, productKey: pool.productKey, user: "lee", machine: "PC-21" }),
    });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: { details: { reason: string } } }).error.details.reason).toBe("addresses");
    await page.reload();
    expect(await page.locator("table.events tr.event-denied").first().innerText()).toContain("Refused: the seat is already used from the most network addresses the pool allows");

    // Back to only marking, through the form again.
    await page.getByRole("radio", { name: /Only mark it/ }).check();
    await page.getByRole("button", { name: "Save settings" }).click();
    await waitForNotice(page, "Settings saved.");
    expect((await api(server, "GET", `/v1/pools/${pool.poolId}`, undefined, pool.adminKey)).body.refuseWidelySharedSeats).toBe(false);

    // Out of range is refused with the field's name, and nothing changes.
    const before = (await api(server, "GET", `/v1/pools/${pool.poolId}`, undefined, pool.adminKey)).body;
    await page.evaluate("document.querySelector('form.settings').noValidate = true");
    await page.getByLabel("Most sessions per seat").fill("101");
    await page.getByRole("button", { name: "Save settings" }).click();
    const error = page.getByRole("alert");
    await error.waitFor();
    expect(await error.innerText()).toBe("Most sessions per seat: enter a whole number from 1 to 100. Nothing was changed.");
    expect((await api(server, "GET", `/v1/pools/${pool.poolId}`, undefined, pool.adminKey)).body).toEqual(before);
    await context.close();
  });

  it("fits a phone-width screen and gives every control an accessible name", async () => {
    const pool = await createPool(server, "Blue Yonder Airlines", 5);
    await checkout(server, pool, { user: "ivy", machine: "LAPTOP-7", terminalSession: "Console" });
    await checkout(server, pool, { user: "jo", machine: "CTX-01", terminalSession: "ICA-CGP#3" });
    const { context, page } = await newSignedInPage(browser, server, pool.adminKey, { viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true });
    expect(await fitsWidth(page)).toBe(true);
    expect(await unnamedControls(page)).toEqual([]);
    expect(await page.getByRole("button", { name: "Free the seat of jo on CTX-01 (ICA-CGP#3)" }).isVisible()).toBe(true);
    await context.close();
  });

  it("shows a busy pool as the docs' screenshot does (UPDATE_SCREENSHOT=1 writes docs/dashboard.png)", async () => {
    const pool = await createPool(server, "Contoso Engineering", 8);
    const people: [string, string, string?][] = [
      ["a.fischer", "ENG-WS-014"],
      ["b.okafor", "ENG-WS-022"],
      ["c.lindqvist", "CTX-PROD-02", "ICA-CGP#4"],
      ["d.moreau", "CTX-PROD-02", "ICA-CGP#7"],
      ["e.tanaka", "LAPTOP-3381"],
      ["f.haddad", "ENG-WS-031"],
      ["g.novak", "CTX-PROD-03", "ICA-CGP#2"],
      ["h.silva", "ENG-WS-009"],
    ];
    const sessions: Checkout[] = [];
    for (const [user, machine, terminalSession] of people) {
      const out = await checkout(server, pool, { user, machine, clientVersion: "16.0.2", ...(terminalSession ? { terminalSession } : {}) });
      sessions.push(out.body as Checkout);
    }
    expect((await checkout(server, pool, { user: "i.kowalski", machine: "ENG-WS-040" })).status).toBe(409);
    expect((await checkout(server, pool, { user: "j.brown", machine: "LAPTOP-2210" })).status).toBe(409);
    await api(server, "DELETE", `/v1/sessions/${sessions[4]!.sessionId}`, undefined, sessions[4]!.token);

    const { context, page } = await newSignedInPage(browser, server, pool.adminKey, { viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
    expect(await page.getByRole("img", { name: "7 of 8 seats in use" }).count()).toBe(1);
    // Who holds a seat, on which machine and terminal session; the one who closed is gone.
    const rows = await page.locator("table.seats tbody tr").evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll("th, td")].slice(0, 3).map((c) => c.textContent)));
    const holding = people.filter(([u]) => u !== "e.tanaka").map(([user, machine, terminalSession]) => [user, machine, terminalSession ?? "console"]);
    expect(rows.sort()).toEqual(holding.sort());
    expect(await page.locator("figure.chart figcaption").innerText()).toContain("2 checkouts turned away because the pool was full");
    expect(await page.locator("table.events tr.event-denied").count()).toBe(2);
    const png = await page.screenshot({ fullPage: true, ...(process.env.UPDATE_SCREENSHOT ? { path: path.join(ROOT, "docs", "dashboard.png") } : {}) });
    expect(png.subarray(1, 4).toString()).toBe("PNG");
    expect(png.readUInt32BE(16)).toBe(1280); // the IHDR width: the page at the docs' width
    await context.close();
  });
});
