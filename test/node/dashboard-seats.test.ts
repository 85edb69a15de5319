/**
 * The pool page's list of seats on a big pool, in headless Chromium against the real local
 * server: 100 seats a page with next-page links, a search by user or machine, the Free
 * action from page 2 (with and without JavaScript), and a seat used from too many
 * network addresses marked with its explanation.
 */
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, createPool, fitsWidth, heartbeat, launchChromium, newSignedInPage, unnamedControls, type Checkout, type CreatedPool } from "./dashboard-browser.js";
import { startLocalServer, type LocalServer } from "./local-server.js";

let server: LocalServer;
let browser: Browser;
let pool: CreatedPool;
/** The 250 checkouts, in the order they were made (the list shows the longest held first). */
const held: { user: string; machine: string; session: Checkout }[] = [];

const SEATS = 250;
const name = (i: number) => ({ user: `user-${String(i).padStart(3, "0")}`, machine: `PC-${String(i).padStart(3, "0")}` });

beforeAll(async () => {
  // one at a time, so that if the browser fails to start, afterAll still has the server to stop
  server = await startLocalServer();
  browser = await launchChromium();
  pool = await createPool(server, "Big Pool Ltd", 300);
  for (let i = 1; i <= SEATS; i++) {
    const who = name(i);
    const out = await api(server, "POST", "/v1/sessions", { serial: pool.serial, productKey: pool.productKey, ...who });
    if (out.status !== 201) throw new Error(`checkout ${i}: ${out.status} ${JSON.stringify(out.body)}`);
    held.push({ ...who, session: out.body as Checkout });
  }
});
afterAll(async () => {
  await browser?.close();
  await server?.dispose();
});

const poolUrl = (poolId: string) => `${server.url}/admin/pools/${poolId}`;

/** The user column of the seats table, top to bottom. */
function users(page: Page): Promise<string[]> {
  return page.locator("table.seats tbody th bdi").allInnerTexts();
}

/** Types into the search box and sends it, and waits for the page that answers it. */
async function search(page: Page, text: string): Promise<void> {
  await page.getByLabel("Find a seat by user or machine").fill(text);
  await Promise.all([
    page.waitForURL((url) => url.searchParams.get("q") === text, { waitUntil: "load" }),
    page.getByRole("button", { name: "Search" }).click(),
  ]);
}

/** Follows a link and waits for the page it leads to. */
async function follow(page: Page, name: string): Promise<void> {
  const from = page.url();
  await Promise.all([page.waitForURL((url) => url.href !== from, { waitUntil: "load" }), page.getByRole("link", { name }).click()]);
}

async function notice(page: Page): Promise<string> {
  const el = page.locator("p.message.notice");
  await el.waitFor();
  return el.innerText();
}

/** Seats in use through the API, all pages (the list the page must agree with). */
async function apiUsers(): Promise<string[]> {
  const out: string[] = [];
  let cursor: string | null = null;
  do {
    const page = await api(server, "GET", `/v1/pools/${pool.poolId}/seats?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, undefined, pool.adminKey);
    out.push(...(page.body.seats as { user: string }[]).map((s) => s.user));
    cursor = page.body.next;
  } while (cursor);
  return out;
}

describe("the seats of a pool of 250, a page at a time", () => {
  it("shows 100 seats, the total in use, and a next-page link through to the last seat; without JavaScript", async () => {
    const { context, page } = await newSignedInPage(browser, server, pool.adminKey, { javaScriptEnabled: false });
    expect(page.url()).toBe(poolUrl(pool.poolId));
    expect(await page.locator("#seats-title .count").innerText()).toBe("250");
    expect(await page.locator(".seats-summary").innerText()).toBe("Showing seats 1–100 of 250 in use, 100 a page, the longest held first.");
    const all = await apiUsers();
    expect(all).toEqual(held.map((h) => h.user));
    expect(await users(page)).toEqual(all.slice(0, 100));
    expect(await page.getByRole("link", { name: "First page" }).count()).toBe(0);
    // Without the script there is nothing to copy with, so its copy button stays hidden.
    expect(await page.locator("button[data-copy]").isVisible()).toBe(false);

    await follow(page, "Next page of seats");
    expect(await page.locator(".seats-summary").innerText()).toBe("Showing seats 101–200 of 250 in use, 100 a page, the longest held first.");
    expect(await users(page)).toEqual(all.slice(100, 200));
    await follow(page, "Next page of seats");
    expect(await page.locator(".seats-summary").innerText()).toBe("Showing seats 201–250 of 250 in use, 100 a page, the longest held first.");
    expect(await users(page)).toEqual(all.slice(200));
    expect(await page.getByRole("link", { name: "Next page of seats" }).count()).toBe(0);
    await follow(page, "First page");
    expect(await users(page)).toEqual(all.slice(0, 100));
    await context.close();
  });

  it("finds one seat by user, and by machine in another letter case; says so when nothing matches", async () => {
    const { context, page } = await newSignedInPage(browser, server, pool.adminKey, { javaScriptEnabled: false });
    await search(page, "user-137");
    expect(new URL(page.url()).searchParams.get("q")).toBe("user-137");
    expect(await users(page)).toEqual(["user-137"]);
    expect(await page.locator("table.seats tbody tr td").first().innerText()).toBe("PC-137");
    expect(await page.locator(".seats-summary").innerText()).toBe("1 seat in use matches “user-137”.");
    // the total in use stays the pool's
    expect(await page.locator("#seats-title .count").innerText()).toBe("250");
    expect(await page.getByLabel("Find a seat by user or machine").inputValue()).toBe("user-137");

    await search(page, "pc-042");
    expect(await users(page)).toEqual(["user-042"]);

    // user-200 to user-250
    await search(page, "USER-2");
    const expected = held.map((h) => h.user).filter((u) => u.startsWith("user-2"));
    expect(expected).toHaveLength(51);
    expect(await page.locator(".seats-summary").innerText()).toBe("51 seats in use match “USER-2”.");
    expect(await users(page)).toEqual(expected);

    await search(page, "nobody-here");
    expect(await page.locator(".seats-summary").innerText()).toBe("No seat in use matches “nobody-here”.");
    expect(await page.locator("table.seats").count()).toBe(0);
    await follow(page, "Show every seat");
    expect(await users(page)).toHaveLength(100);
    await context.close();
  });
});

describe("freeing a seat from page 2", () => {
  it("frees it after the browser's confirmation and comes back to page 2, saying whose seat it was", async () => {
    const { context, page } = await newSignedInPage(browser, server, pool.adminKey);
    await follow(page, "Next page of seats");
    const pageTwo = new URL(page.url());
    expect(pageTwo.searchParams.get("page")).toBe("2");
    const before = await users(page);
    expect(before).toContain("user-150");

    const target = held.find((h) => h.user === "user-150")!;
    let question = "";
    page.once("dialog", (d) => {
      question = d.message();
      void d.accept();
    });
    await page.getByRole("button", { name: "Free the seat of user-150 on PC-150" }).click();
    expect(await notice(page)).toBe("Freed the seat of user-150 on PC-150; its session has ended. 249 of 300 seats are now in use.");
    expect(question).toContain("Free the seat held by user-150 on PC-150?");
    // Still page 2, less the seat freed, and the next seat moved up into it.
    const after = new URL(page.url());
    expect(after.searchParams.get("cursor")).toBe(pageTwo.searchParams.get("cursor"));
    expect(after.searchParams.get("page")).toBe("2");
    expect(await page.locator(".seats-summary").innerText()).toBe("Showing seats 101–200 of 249 in use, 100 a page, the longest held first.");
    expect(await users(page)).toEqual([...before.filter((u) => u !== "user-150"), "user-201"]);
    expect(await page.locator("#seats-title .count").innerText()).toBe("249");
    expect((await heartbeat(server, target.session)).status).toBe(410);
    expect(await page.locator("table.events tr.event-freed").first().innerText()).toContain("user-150 on PC-150");
    await context.close();
  });

  it("without JavaScript, asks on a page naming the seat; Cancel and the free both return to page 2", async () => {
    const { context, page } = await newSignedInPage(browser, server, pool.adminKey, { javaScriptEnabled: false });
    await follow(page, "Next page of seats");
    const pageTwo = page.url();
    expect(pageTwo).toMatch(/\?cursor=[^&]+&page=2#seat-list$/);
    const target = held.find((h) => h.user === "user-160")!;

    await page.getByRole("button", { name: "Free the seat of user-160 on PC-160" }).click();
    await page.getByRole("heading", { name: "Free this seat?" }).waitFor();
    expect(await page.locator("main p").first().innerText()).toBe(
      "Free the seat held by user-160 on PC-160? The application there is told at its next heartbeat that an administrator freed its seat.",
    );
    await follow(page, "Cancel");
    expect(page.url()).toBe(pageTwo);
    expect((await heartbeat(server, target.session)).status).toBe(200);

    await page.getByRole("button", { name: "Free the seat of user-160 on PC-160" }).click();
    await page.getByRole("button", { name: "Free the seat" }).click();
    expect(await notice(page)).toBe("Freed the seat of user-160 on PC-160; its session has ended. 248 of 300 seats are now in use.");
    expect(page.url()).toBe(pageTwo);
    expect(await users(page)).not.toContain("user-160");
    expect(await page.locator(".seats-summary").innerText()).toBe("Showing seats 101–200 of 248 in use, 100 a page, the longest held first.");
    expect((await heartbeat(server, target.session)).status).toBe(410);

    // The confirmation page of a seat freed meanwhile says so, back on the same page.
    const other = held.find((h) => h.user === "user-170")!;
    const stale = await context.newPage();
    await stale.goto(pageTwo);
    expect((await api(server, "DELETE", `/v1/sessions/${other.session.sessionId}`, undefined, other.session.token)).status).toBeLessThan(300);
    await stale.getByRole("button", { name: "Free the seat of user-170 on PC-170" }).click();
    expect(await stale.getByRole("alert").innerText()).toBe("That seat is no longer in use: the application released it or someone freed it already.");
    expect(stale.url()).toBe(pageTwo);
    await context.close();
  });
});

describe("on a phone", () => {
  it("pages and searches the seats at phone width, every control named", async () => {
    const { context, page } = await newSignedInPage(browser, server, pool.adminKey, { viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true });
    expect(await fitsWidth(page)).toBe(true);
    expect(await unnamedControls(page)).toEqual([]);
    await follow(page, "Next page of seats");
    expect(await page.locator(".seats-summary").innerText()).toMatch(/^Showing seats 101–200 of \d+ in use/);
    expect(await fitsWidth(page)).toBe(true);
    expect(await page.getByLabel("Find a seat by user or machine").isVisible()).toBe(true);
    await search(page, "pc-099");
    expect(await users(page)).toEqual(["user-099"]);
    expect(await fitsWidth(page)).toBe(true);
    expect(await page.getByRole("button", { name: "Free the seat of user-099 on PC-099" }).isVisible()).toBe(true);
    const png = await page.screenshot({ fullPage: false, path: process.env.SCREENSHOT_DIR ? path.join(process.env.SCREENSHOT_DIR, "seats-phone.png") : undefined });
    expect(png.readUInt32BE(16)).toBe(375);
    await context.close();
  });
});

describe("a seat used from too many network addresses", () => {
  it("is marked in the list with a plain explanation, and the pool's choice to refuse is said", async () => {
    const shared = await createPool(server, "Shared Name Ltd", 5);
    const who = { user: "team", machine: "SHARED-PC" };
    // Five copies of one identity from five addresses; the pool allows 3 per seat.
    for (const address of ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5"]) {
      const res = await fetch(`${server.url}/v1/sessions`, {
        method: "POST",
        headers: { "content-type": "application/json", "cf-connecting-ip": address },
        body: JSON.stringify({ serial: shared.serial, productKey: shared.productKey, ...who }),
      });
      expect(res.status).toBe(201);
    }
    expect((await api(server, "POST", "/v1/sessions", { serial: shared.serial, productKey: shared.productKey, user: "alone", machine: "PC-1" })).status).toBe(201);
    const seats = (await api(server, "GET", `/v1/pools/${shared.poolId}/seats`, undefined, shared.adminKey)).body.seats as { user: string; sharedFromAddresses: boolean }[];
    expect(seats.map((s) => [s.user, s.sharedFromAddresses])).toEqual([["team", true], ["alone", false]]);

    const { context, page } = await newSignedInPage(browser, server, shared.adminKey, { viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
    const teamRow = page.getByRole("row", { name: /team/ });
    expect(await teamRow.locator(".flag").innerText()).toBe("In use from more than 3 network addresses");
    expect(await page.getByRole("row", { name: /alone/ }).locator(".flag").count()).toBe(0);
    const note = page.locator(".shared-note");
    expect(await note.innerText()).toContain("the same user and machine name is probably being used on several computers");
    expect(await note.innerText()).toContain("choose in Settings to refuse such starts");
    expect(await page.locator("table.events tr.event-seat_shared_widely").first().innerText()).toContain("Seat used from more network addresses than the pool allows");
    if (process.env.SCREENSHOT_DIR) await page.locator("#seat-list").screenshot({ path: path.join(process.env.SCREENSHOT_DIR, "seats-shared.png") });

    await page.getByRole("radio", { name: /Refuse the start/ }).check();
    await page.getByRole("button", { name: "Save settings" }).click();
    await notice(page);
    expect(await page.locator(".shared-note").innerText()).toContain("The pool refuses further starts from new addresses on it.");
    await context.close();
  });
});
