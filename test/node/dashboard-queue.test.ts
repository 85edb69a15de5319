/**
 * The pool page for waiting users (issue 11), in headless Chromium against the real local
 * server: who waits and since when, removing a waiter (with and without JavaScript), which
 * seats are connected and idle, and the reclaim and self-release settings.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CreatePoolResponse } from "../../src/client/index.js";
import { api, createPool, launchChromium, newSignedInPage, unnamedControls, type CreatedPool } from "./dashboard-browser.js";
import { until } from "./live-helpers.js";
import { startLocalServer, type LocalServer } from "./local-server.js";
import { clientFor, removeTempDirs } from "./sdk-helpers.js";

let server: LocalServer;
let browser: Browser;
beforeAll(async () => {
  // one at a time, so that if the browser fails to start, afterAll still has the server to stop
  server = await startLocalServer();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await server?.dispose();
  removeTempDirs();
});

const poolUrl = (poolId: string) => `${server.url}/admin/pools/${poolId}`;

/** A checkout through the API; `wait` queues on a full pool (202 with a ticket). */
async function take(pool: CreatedPool, user: string, machine: string, wait = false) {
  return api(server, "POST", "/v1/sessions", { serial: pool.serial, productKey: pool.productKey, user, machine, ...(wait ? { wait: true } : {}) });
}

async function queued(pool: CreatedPool): Promise<{ ticketId: string; user: string; position: number }[]> {
  return (await api(server, "GET", `/v1/pools/${pool.poolId}/queue`, undefined, pool.adminKey)).body.waiting;
}

async function notice(page: Page, kind: "notice" | "error" = "notice"): Promise<string> {
  const el = page.locator(`p.message.${kind}`);
  await el.waitFor();
  return el.innerText();
}

/** The waiting table's rows as their cells' text (place, user, machine, terminal session, since). */
async function waitingRows(page: Page): Promise<string[][]> {
  const rows = page.locator("table.waiting tbody tr");
  const out: string[][] = [];
  for (let i = 0; i < (await rows.count()); i++) out.push((await rows.nth(i).locator("th, td").allInnerTexts()).slice(0, 5).map((t) => t.trim()));
  return out;
}

describe("the pool page's waiting list", () => {
  it("shows who waits, in order and since when, and Remove takes one out after a confirmation", async () => {
    const pool = await createPool(server, "Queue Ltd", 1);
    expect((await take(pool, "holder", "PC-1")).status).toBe(201);
    const ann = await take(pool, "ann", "PC-2", true);
    const bob = await take(pool, "bob", "PC-3", true);
    expect([ann.status, bob.status]).toEqual([202, 202]);

    const { context, page } = await newSignedInPage(browser, server, pool.adminKey);
    await page.goto(poolUrl(pool.poolId));
    expect(await page.locator("#waiting-title").innerText()).toMatch(/Waiting for a seat\s*2/);
    const rows = await waitingRows(page);
    expect(rows.map((r) => r.slice(0, 4))).toEqual([["1", "ann", "PC-2", "console"], ["2", "bob", "PC-3", "console"]]);
    expect(rows[0]![4]).toMatch(/just now|min ago/);
    expect(await unnamedControls(page)).toEqual([]);

    // declining changes nothing
    const remove = page.getByRole("button", { name: "Remove bob on PC-3 from the queue" });
    page.once("dialog", (d) => void d.dismiss());
    await remove.click();
    expect((await queued(pool)).map((w) => w.user)).toEqual(["ann", "bob"]);

    let question = "";
    page.once("dialog", (d) => {
      question = d.message();
      void d.accept();
    });
    await remove.click();
    expect(await notice(page)).toContain("Removed from the queue");
    expect(question).toContain("Take bob on PC-3 out of the queue?");
    expect((await queued(pool)).map((w) => w.user)).toEqual(["ann"]);
    expect(await waitingRows(page)).toHaveLength(1);
    // bob's own client learns it from the ticket
    const ticket = await api(server, "GET", `/v1/tickets/${bob.body.ticketId}`, undefined, bob.body.token);
    expect(ticket.body.state).toBe("cancelled");
    const event = page.locator("table.events tr.event-left_queue");
    expect(await event.first().innerText()).toMatch(/Removed from the queue[\s\S]*bob on PC-3[\s\S]*admin:first admin/);
    expect(await page.locator("table.events tr.event-queued").allInnerTexts()).toEqual([
      expect.stringMatching(/Joined the queue for a seat, 2nd in line[\s\S]*bob/), expect.stringMatching(/Joined the queue for a seat, 1st in line[\s\S]*ann/),
    ]);
    await context.close();
  });

  it("without JavaScript, asks on a page of its own naming the waiter, and says when the waiter is gone already", async () => {
    const pool = await createPool(server, "Queue NoJS Ltd", 1);
    expect((await take(pool, "holder", "PC-1")).status).toBe(201);
    expect((await take(pool, "cy", "PC-9", true)).status).toBe(202);
    const { context, page } = await newSignedInPage(browser, server, pool.adminKey, { javaScriptEnabled: false });
    await page.goto(poolUrl(pool.poolId));
    await page.getByRole("button", { name: "Remove cy on PC-9 from the queue" }).click();
    await page.waitForLoadState("load");
    expect(await page.getByRole("heading", { name: "Remove from the queue?" }).isVisible()).toBe(true);
    expect(await page.locator("main").innerText()).toContain("Take cy on PC-9 out of the queue?");
    expect(await queued(pool)).toHaveLength(1);

    // meanwhile the waiter left by themselves: the confirmation finds nothing to remove
    const [w] = await queued(pool);
    const back = await page.goto(poolUrl(pool.poolId));
    expect(back?.ok()).toBe(true);
    await page.getByRole("button", { name: "Remove cy on PC-9 from the queue" }).click();
    await page.waitForLoadState("load");
    expect((await api(server, "DELETE", `/v1/pools/${pool.poolId}/queue/${w!.ticketId}`, undefined, pool.adminKey)).status).toBe(200);
    await page.getByRole("button", { name: "Remove from the queue" }).click();
    await page.waitForLoadState("load");
    expect(await notice(page, "error")).toContain("no longer waiting");
    expect(await page.getByText("Nobody is waiting for a seat.").isVisible()).toBe(true);
    await context.close();
  });
});

describe("the seat list's live columns", () => {
  it("says which seats are connected, and which are idle since when", async () => {
    const pool = await createPool(server, "Live Columns Ltd", 3);
    const live = clientFor(server, pool as unknown as CreatePoolResponse, { user: "dee", machine: "PC-LIVE" });
    await live.checkout();
    await until(() => live.liveState === "open", "the live channel to open");
    expect((await take(pool, "eve", "PC-QUIET")).status).toBe(201);

    const { context, page } = await newSignedInPage(browser, server, pool.adminKey);
    await page.goto(poolUrl(pool.poolId));
    const cells = async (user: string) => page.getByRole("row", { name: new RegExp(user) }).locator("td[data-label='Connected'], td[data-label='Idle']").allInnerTexts();
    expect(await cells("dee")).toEqual(["Connected", "In use"]);
    expect(await cells("eve")).toEqual(["Not connected", "–"]);

    live.setIdle(new Date(Date.now() - 3 * 60_000));
    await until(async () => {
      await page.reload();
      return (await cells("dee"))[1]!.startsWith("Idle since");
    }, "the seat to show as idle");
    expect((await cells("dee"))[1]).toMatch(/^Idle since [\s\S]*\(3 min ago\)$/);
    await live.release();
    await context.close();
  });
});

describe("the settings for waiting users", () => {
  it("turns self-release off and sets idle reclaim, and says what is wrong with a bad value", async () => {
    const pool = await createPool(server, "Reclaim Ltd", 2);
    const { context, page } = await newSignedInPage(browser, server, pool.adminKey);
    await page.goto(poolUrl(pool.poolId));
    expect(await page.getByLabel(/^Allowed\./).isChecked()).toBe(true);
    await page.getByLabel(/^Not allowed\./).check();
    await page.getByLabel("Take a seat back for someone waiting after this many idle minutes").fill("20");
    await page.getByLabel("Warning before it is taken back (minutes)").fill("0");
    await page.getByRole("button", { name: "Save settings" }).click();
    expect(await notice(page)).toContain("Settings saved.");
    const details = (await api(server, "GET", `/v1/pools/${pool.poolId}`, undefined, pool.adminKey)).body;
    expect(details).toMatchObject({ selfRelease: false, reclaimIdleMinutes: 20, reclaimGraceMinutes: 0 });
    expect(await page.getByLabel(/^Not allowed\./).isChecked()).toBe(true);
    expect(await page.getByLabel("Take a seat back for someone waiting after this many idle minutes").inputValue()).toBe("20");

    // a self-release is now refused by the pool
    const held = await take(pool, "fay", "OFFICE-PC");
    const own = await api(server, "POST", `/v1/seats/${held.body.seatId}/release`, { serial: pool.serial, productKey: pool.productKey, user: "fay", machine: "LAPTOP" });
    expect(own.status).toBe(403);

    await page.getByLabel("Warning before it is taken back (minutes)").fill("61");
    // the browser's own check would stop the form: send it as a script-free client would
    await page.locator("#reclaim-grace").evaluate((el: { removeAttribute(name: string): void }) => el.removeAttribute("max"));
    await page.getByRole("button", { name: "Save settings" }).click();
    expect(await notice(page, "error")).toContain("Warning before it is taken back: enter a whole number from 0 to 60.");
    expect((await api(server, "GET", `/v1/pools/${pool.poolId}`, undefined, pool.adminKey)).body.reclaimGraceMinutes).toBe(0);

    // emptied: never take seats back
    await page.getByLabel("Take a seat back for someone waiting after this many idle minutes").fill("");
    await page.getByLabel("Warning before it is taken back (minutes)").fill("5");
    await page.getByRole("button", { name: "Save settings" }).click();
    expect(await notice(page)).toContain("Settings saved.");
    expect((await api(server, "GET", `/v1/pools/${pool.poolId}`, undefined, pool.adminKey)).body).toMatchObject({ reclaimIdleMinutes: null, reclaimGraceMinutes: 5 });
    await context.close();
  });
});
