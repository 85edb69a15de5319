/**
 * The dashboard as the vendor's staff use it, in headless Chromium against the real local
 * server: every pool at a glance, a new pool with its secrets shown once, seats changed in
 * place; and the pages without JavaScript, where confirmations are pages of their own.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  api, checkout, closeServerAndBrowser, createPool, fitsWidth, heartbeat, newSignedInPage, startServerAndBrowser, unnamedControls, type Checkout,
} from "./dashboard-browser.js";
import type { LocalServer } from "./local-server.js";

let server: LocalServer;
let browser: Browser;
beforeAll(async () => { ({ server, browser } = await startServerAndBrowser()); });
afterAll(() => closeServerAndBrowser(server, browser));

async function notice(page: Page): Promise<string> {
  const el = page.locator("p.message.notice");
  await el.waitFor();
  return el.innerText();
}

describe("the dashboard for the vendor's staff", () => {
  it("signs in with the vendor token and lists every pool with its customer, seats and seats in use", async () => {
    const a = await createPool(server, "Alpine Ski House", 3);
    const b = await createPool(server, "Bellows College", 10);
    await checkout(server, a, { user: "nina", machine: "PC-1" });
    await checkout(server, a, { user: "otto", machine: "PC-2" });
    const { context, page } = await newSignedInPage(browser, server, server.vendorToken);

    expect(new URL(page.url()).pathname).toBe("/admin");
    expect(await page.getByRole("heading", { level: 1 }).innerText()).toBe("All pools");
    const rowA = page.getByRole("row", { name: /Alpine Ski House/ });
    expect(await rowA.innerText()).toContain(a.poolId);
    expect(await rowA.innerText()).toContain("2 of 3");
    expect(await page.getByLabel("Seats for Alpine Ski House", { exact: true }).inputValue()).toBe("3");
    expect(await page.getByRole("row", { name: /Bellows College/ }).innerText()).toContain("0 of 10");

    await page.getByRole("link", { name: "Bellows College" }).click();
    expect(page.url()).toBe(`${server.url}/admin/pools/${b.poolId}`);
    expect(await page.getByRole("img", { name: "0 of 10 seats in use" }).count()).toBe(1);
    await context.close();
  });

  it("creates a pool and shows its serial number, product key and admin key once; all three work", async () => {
    const { context, page } = await newSignedInPage(browser, server, server.vendorToken);
    await page.getByLabel("Customer", { exact: true }).fill("Proseware, Inc.");
    await page.getByLabel("Seats", { exact: true }).fill("5");
    await page.getByLabel("Minimum client version (optional)").fill("15");
    await page.getByRole("button", { name: "Create pool" }).click();
    expect(await notice(page)).toBe("Created the pool for Proseware, Inc. with 5 seats.");
    await page.getByRole("heading", { name: "The new pool's serial number, product key and admin key: shown once" }).waitFor();
    const [serial, productKey, adminKey] = await Promise.all([0, 1, 2].map(async (i) => (await page.locator(`#secret-${i}`).innerText()).trim()));
    const poolId = page.url().split("/").pop()!;
    expect(serial).toMatch(/^SK-/);
    expect(adminKey).toMatch(new RegExp(`^AK-${poolId.slice(0, 4)}-`));
    expect(await page.getByRole("button", { name: "Copy admin key" }).isVisible()).toBe(true);

    const out = await checkout(server, { serial: serial!, productKey: productKey! }, { user: "pia", machine: "PC-5", clientVersion: "15.2" });
    expect(out.status).toBe(201);
    const details = await api(server, "GET", `/v1/pools/${poolId}`, undefined, adminKey);
    expect(details.body).toMatchObject({ customer: "Proseware, Inc.", seats: 5, minClientVersion: "15", inUse: 1 });

    await page.reload();
    expect(await page.locator(".shown-once").count()).toBe(0);
    const html = await page.content();
    expect(html).not.toContain(productKey!);
    expect(html).not.toContain(adminKey!);
    await context.close();
  });

  it("explains what was wrong when a new pool's details are not valid, and creates nothing", async () => {
    const before = (await api(server, "GET", "/v1/pools", undefined, server.vendorToken)).body.pools.length;
    const { context, page } = await newSignedInPage(browser, server, server.vendorToken);
    await page.evaluate("document.querySelectorAll('form').forEach((f) => (f.noValidate = true))");
    await page.getByLabel("Customer", { exact: true }).fill("Bad Seats Ltd");
    await page.evaluate("document.getElementById('new-seats').type = 'text'");
    await page.getByLabel("Seats", { exact: true }).fill("lots");
    await page.getByRole("button", { name: "Create pool" }).click();
    expect(await page.getByRole("alert").innerText()).toBe("Seats: enter a whole number from 0 to 1,000,000.");

    await page.evaluate("document.querySelectorAll('form').forEach((f) => (f.noValidate = true))");
    await page.getByLabel("Customer", { exact: true }).fill("   ");
    await page.getByLabel("Seats", { exact: true }).fill("4");
    await page.getByRole("button", { name: "Create pool" }).click();
    expect(await page.getByRole("alert").innerText()).toBe("Customer: enter the customer's name.");
    expect((await api(server, "GET", "/v1/pools", undefined, server.vendorToken)).body.pools.length).toBe(before);
    await context.close();
  });

  it("changes a pool's seats from the list and from its page; a pool admin cannot", async () => {
    const pool = await createPool(server, "Consolidated Messenger", 4);
    const { context, page } = await newSignedInPage(browser, server, server.vendorToken);
    await page.getByLabel("Seats for Consolidated Messenger", { exact: true }).fill("7");
    await page.getByRole("button", { name: "Set seats for Consolidated Messenger" }).click();
    expect(await notice(page)).toBe("Consolidated Messenger now has 7 seats.");
    expect(new URL(page.url()).pathname).toBe("/admin");
    expect((await api(server, "GET", `/v1/pools/${pool.poolId}`, undefined, pool.adminKey)).body.seats).toBe(7);

    await page.goto(`${server.url}/admin/pools/${pool.poolId}`);
    await page.getByLabel("Seats", { exact: true }).fill("2");
    await page.getByRole("button", { name: "Save settings" }).click();
    expect(await notice(page)).toBe("Settings saved.");
    expect(await page.getByRole("img", { name: "0 of 2 seats in use" }).count()).toBe(1);
    expect(await page.locator("table.events tr.event-pool_updated").first().innerText()).toContain("seats 7 → 2");

    // A pool admin's page has no seats field; a post that adds one is refused by the pool object.
    const admin = await newSignedInPage(browser, server, pool.adminKey);
    await admin.page.evaluate(
      "(() => { const i = document.createElement('input'); i.type = 'hidden'; i.name = 'seats'; i.value = '500'; document.querySelector('form.settings').append(i); })()",
    );
    await admin.page.getByRole("button", { name: "Save settings" }).click();
    expect(await admin.page.getByRole("alert").innerText()).toContain("Only the vendor can change the number of seats");
    expect((await api(server, "GET", `/v1/pools/${pool.poolId}`, undefined, pool.adminKey)).body.seats).toBe(2);
    await admin.context.close();
    await context.close();
  });

  it("sets a pool's seat-sharing limits from its page, like its admins can", async () => {
    const pool = await createPool(server, "Lucerne Publishing", 6);
    const { context, page } = await newSignedInPage(browser, server, server.vendorToken);
    await page.goto(`${server.url}/admin/pools/${pool.poolId}`);
    await page.getByLabel("Most sessions per seat").fill("4");
    await page.getByLabel("Most network addresses per seat").fill("7");
    await page.getByRole("radio", { name: /Refuse the start/ }).check();
    await page.getByRole("button", { name: "Save settings" }).click();
    expect(await notice(page)).toBe("Settings saved.");
    expect((await api(server, "GET", `/v1/pools/${pool.poolId}`, undefined, pool.adminKey)).body).toMatchObject({
      seats: 6, maxSessionsPerSeat: 4, maxAddressesPerSeat: 7, refuseWidelySharedSeats: true,
    });
    expect(await page.locator("table.events tr.event-pool_updated").first().innerText()).toContain("vendor");
    await context.close();
  });

  it("works without JavaScript: freeing a seat asks on a confirmation page, and Cancel changes nothing", async () => {
    const pool = await createPool(server, "Graphic Design Institute", 2);
    const held = (await checkout(server, pool, { user: "quinn", machine: "MAC-4" })).body as Checkout;
    const { context, page } = await newSignedInPage(browser, server, server.vendorToken, { javaScriptEnabled: false });
    await page.goto(`${server.url}/admin/pools/${pool.poolId}`);

    await page.getByRole("button", { name: "Free the seat of quinn on MAC-4" }).click();
    await page.getByRole("heading", { name: "Free this seat?" }).waitFor();
    await page.getByRole("link", { name: "Cancel" }).click();
    expect((await heartbeat(server, held)).status).toBe(200);

    const stale = await context.newPage();
    await stale.goto(`${server.url}/admin/pools/${pool.poolId}`);
    await page.getByRole("button", { name: "Free the seat of quinn on MAC-4" }).click();
    await page.getByRole("button", { name: "Free the seat" }).click();
    expect(await notice(page)).toContain("Freed the seat of quinn on MAC-4");
    expect((await heartbeat(server, held)).status).toBe(410);
    const event = await page.locator("table.events tr.event-freed").innerText();
    expect(event).toContain("vendor");

    // Freeing it again from a page opened earlier says so plainly.
    await stale.getByRole("button", { name: "Free the seat of quinn on MAC-4" }).click();
    expect(await stale.getByRole("alert").innerText()).toBe("That seat is no longer in use: the application released it or someone freed it already.");
    await context.close();
  });

  it("fits a phone-width screen and gives every control an accessible name", async () => {
    await createPool(server, "Humongous Insurance", 25);
    const { context, page } = await newSignedInPage(browser, server, server.vendorToken, { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
    expect(await fitsWidth(page)).toBe(true);
    expect(await unnamedControls(page)).toEqual([]);
    expect(await page.getByLabel("Seats for Humongous Insurance", { exact: true }).isVisible()).toBe(true);
    await context.close();
  });
});
