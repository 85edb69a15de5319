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
import { ROOT, startLocalServer, type LocalServer } from "./local-server.js";

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
    // The page is one page of seats, not the pool: a fraction of what 250 rows would weigh.
    expect((await page.content()).length).toBeLessThan(400_000);

    await page.getByRole("link", { name: "Next 100 seats" }).click();
    expect(await page.locator(".seats-summary").innerText()).toBe("Showing seats 101–200 of 250 in use, 100 a page, the longest held first.");
    expect(await users(page)).toEqual(all.slice(100, 200));
    await page.getByRole("link", { name: "Next 100 seats" }).click();
    expect(await page.locator(".seats-summary").innerText()).toBe("Showing seats 201–250 of 250 in use, 100 a page, the longest held first.");
    expect(await users(page)).toEqual(all.slice(200));
    expect(await page.getByRole("link", { name: "Next 100 seats" }).count()).toBe(0);
    await page.getByRole("link", { name: "First page" }).click();
    expect(await users(page)).toEqual(all.slice(0, 100));
    await context.close();
  });

  it("finds one seat by user, and by machine in another letter case; says so when nothing matches", async () => {
    const { context, page } = await newSignedInPage(browser, server, pool.adminKey, { javaScriptEnabled: false });
    await page.getByLabel("Find a seat by user or machine").fill("user-137");
    await page.getByRole("button", { name: "Search" }).click();
    expect(new URL(page.url()).searchParams.get("q")).toBe("user-137");
    expect(await users(page)).toEqual(["user-137"]);
    expect(await page.locator("table.seats tbody tr td").first().innerText()).toBe("PC-137");
    expect(await page.locator(".seats-summary").innerText()).toBe("1 seat in use matches “user-137”.");
    // the total in use stays the pool's
    expect(await page.locator("#seats-title .count").innerText()).toBe("250");
    expect(await page.getByLabel("Find a seat by user or machine").inputValue()).toBe("user-137");

    await page.getByLabel("Find a seat by user or machine").fill("pc-042");
    await page.getByRole("button", { name: "Search" }).click();
    expect(await users(page)).toEqual(["user-042"]);

    // user-200 to user-250
    await page.getByLabel("Find a seat by user or machine").fill("USER-2");
    await page.getByRole("button", { name: "Search" }).click();
    const expected = held.map((h) => h.user).filter((u) => u.startsWith("user-2"));
    expect(expected).toHaveLength(51);
    expect(await page.locator(".seats-summary").innerText()).toBe("51 seats in use match “USER-2”.");
    expect(await users(page)).toEqual(expected);

    await page.getByLabel("Find a seat by user or machine").fill("nobody-here");
    await page.getByRole("button", { name: "Search" }).click();
    expect(await page.locator(".seats-summary").innerText()).toBe("No seat in use matches “nobody-here”.");
    expect(await page.locator("table.seats").count()).toBe(0);
    await page.getByRole("link", { name: "Show every seat" }).click();
    expect(await users(page)).toHaveLength(100);
    await context.close();
  });
});
