/** The dashboard's part in borrowing: the two limits in the settings form, and borrowed seats marked with their end date. */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, checkout, closeServerAndBrowser, createPool, newSignedInPage, startServerAndBrowser } from "./dashboard-browser.js";
import type { LocalServer } from "./local-server.js";

let server: LocalServer;
let browser: Browser;
beforeAll(async () => { ({ server, browser } = await startServerAndBrowser()); });
afterAll(() => closeServerAndBrowser(server, browser));

describe("the dashboard and borrowed seats", () => {
  it("sets the borrowing limits in the settings form and marks a borrowed seat with its end date", async () => {
    const pool = await createPool(server, "Fabrikam", 3);
    const { context, page } = await newSignedInPage(browser, server, pool.adminKey);
    const days = page.getByLabel("Let a seat be borrowed to work offline for up to this many days");
    expect(await days.inputValue()).toBe("");
    await days.fill("10");
    await page.getByLabel("Most seats borrowed at once").fill("1");
    await page.getByRole("button", { name: "Save settings" }).click();
    await page.locator("p.message.notice").filter({ hasText: "Settings saved." }).waitFor();
    expect((await api(server, "GET", `/v1/pools/${pool.poolId}`, undefined, pool.adminKey)).body).toMatchObject({ maxBorrowDays: 10, maxBorrowedSeats: 1 });

    const s = (await checkout(server, pool, { user: "kim", machine: "LAPTOP-3" })).body;
    const borrowed = await api(server, "POST", `/v1/sessions/${s.sessionId}/borrow`, { days: 4 }, s.token);
    expect(borrowed.status).toBe(200);
    await page.reload();
    const row = page.locator("tr", { hasText: "kim" });
    await expect.poll(() => row.locator(".borrowed time").getAttribute("datetime")).toBe(borrowed.body.until);
    expect(await row.locator(".borrowed").innerText()).toMatch(/^Borrowed until /);

    await page.getByLabel("Let a seat be borrowed to work offline for up to this many days").fill("");
    await page.getByLabel("Most seats borrowed at once").fill("");
    await page.getByRole("button", { name: "Save settings" }).click();
    await page.locator("p.message.notice").filter({ hasText: "Settings saved." }).waitFor();
    expect((await api(server, "GET", `/v1/pools/${pool.poolId}`, undefined, pool.adminKey)).body).toMatchObject({ maxBorrowDays: null, maxBorrowedSeats: null });
    await context.close();
  });
});
