/**
 * Webhooks and seat advice in the dashboard, in headless Chromium against the real local
 * server and a real receiver (a node http server here): a webhook added in the browser, its
 * secret shown once, a seat freed, the signed delivery received and shown as delivered; a
 * receiver that answers 500 shown as retrying; bad input told in words; removal; the advice
 * beside the usage chart; names and URLs kept in their order however they are written.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Delivery } from "../../src/contract/schemas.js";
import type { DashboardSession } from "../../src/worker/dashboard/session.js";
import { DeliveriesPage, WebhooksPage } from "../../src/worker/dashboard/views/webhooks.js";
import {
  api, checkout, createPool, fitsWidth, launchChromium, newSignedInPage, renderMarkup, sessionCookie, unnamedControls, type Checkout,
} from "./dashboard-browser.js";
import { startLocalServer, type LocalServer } from "./local-server.js";
import { startReceiver, untilFound, verified } from "./webhook-receiver.js";

let server: LocalServer;
let browser: Browser;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  // one at a time, so that if the browser fails to start, afterAll still has the server to stop
  server = await startLocalServer();
  browser = await launchChromium();
  // /down answers 500 to everything; any other path 200
  receiver = await startReceiver((path) => (path === "/down" ? 500 : 200));
});
afterAll(async () => {
  await browser?.close();
  await server?.dispose();
  await receiver?.close();
});

const poolUrl = (poolId: string, rest = "") => `${server.url}/admin/pools/${poolId}${rest}`;

/** The page's one-shot message, error or notice. */
const notice = (page: Page) => page.locator("p.message.notice").innerText();
const alert = (page: Page) => page.getByRole("alert").innerText();

async function addWebhook(page: Page, url: string, events: string[]): Promise<void> {
  await page.getByLabel("URL to deliver to").fill(url);
  for (const e of events) await page.getByRole("checkbox", { name: new RegExp(`^${e.replace(".", "\\.")}:`) }).check();
  await page.getByRole("button", { name: "Add webhook" }).click();
  await page.waitForLoadState("domcontentloaded");
}

/** The delivery log's rows as a person reads them: event, attempts, status, last error. */
async function deliveryRows(page: Page): Promise<string[][]> {
  const rows = page.locator("table.deliveries tbody tr");
  const out: string[][] = [];
  for (let i = 0; i < (await rows.count()); i++) {
    const cells = await rows.nth(i).locator("th, td").allInnerTexts();
    out.push([cells[0]!, cells[2]!, cells[3]!, cells[4]!]);
  }
  return out;
}

describe("a pool's webhooks in the dashboard", () => {
  it("adds a webhook to a real receiver, shows its secret only once, and logs the delivery of a seat freed in the browser", async () => {
    const pool = await createPool(server, "Hooked Ltd", 3);
    const ann = (await checkout(server, pool, { user: "ann", machine: "PC-1" })).body as Checkout;
    const { context, page } = await newSignedInPage(browser, server, pool.adminKey);
    await page.getByRole("link", { name: "Webhooks and their deliveries" }).click();
    expect(await page.getByRole("heading", { level: 1 }).innerText()).toBe("Webhooks of Hooked Ltd");
    expect(await page.locator("#webhooks-title + p").innerText()).toBe("No webhooks yet. Add one below.");
    expect(await unnamedControls(page)).toEqual([]);

    await addWebhook(page, `${receiver.url}/hooked`, ["seat.freed", "pool.denied"]);
    expect(new URL(page.url()).pathname).toBe(`/admin/pools/${pool.poolId}/webhooks`);
    expect(await page.locator("p.message.notice").innerText()).toBe(`Added the webhook to ${receiver.url}/hooked: it sends pool.denied, seat.freed.`);
    const shown = page.locator("section.shown-once");
    expect(await shown.getByRole("heading").innerText()).toBe("The webhook's signing secret: shown once");
    expect(await shown.innerText()).toContain("Copy it now");
    const secret = (await page.locator("#webhook-secret").innerText()).trim();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    // the copy button the page script reveals
    expect(await page.getByRole("button", { name: "Copy signing secret" }).isVisible()).toBe(true);
    if (process.env.SCREENSHOT_DIR) await page.screenshot({ path: `${process.env.SCREENSHOT_DIR}/webhooks.png`, fullPage: true });

    // listed with its URL, events and creation, and the API has it too, without the secret
    const row = page.locator("table.webhooks tbody tr");
    expect(await row.count()).toBe(1);
    const cells = await row.first().locator("th, td").allInnerTexts();
    expect(cells[0]).toBe(`${receiver.url}/hooked`);
    expect(cells[1]).toBe("pool.denied, seat.freed");
    expect(cells[2]).toMatch(/just now/);
    const listed = await api(server, "GET", `/v1/pools/${pool.poolId}/webhooks`, undefined, pool.adminKey);
    expect(listed.body.webhooks).toEqual([expect.objectContaining({ url: `${receiver.url}/hooked`, events: ["pool.denied", "seat.freed"] })]);
    expect(JSON.stringify(listed.body)).not.toContain(secret.slice(6));

    // never again: not on a reload, not on the pool page
    await page.reload();
    expect(await page.locator("section.shown-once").count()).toBe(0);
    expect(await page.content()).not.toContain(secret.slice(6));
    await page.goto(poolUrl(pool.poolId));
    expect(await page.content()).not.toContain(secret.slice(6));

    // the event: the admin frees ann's seat on the pool page
    page.once("dialog", (d) => void d.accept());
    await page.getByRole("button", { name: "Free the seat of ann on PC-1" }).click();
    expect(await page.locator("p.message.notice").innerText()).toContain("Freed the seat of ann on PC-1");

    const delivery = await untilFound("the delivery", () => receiver.received.find((r) => r.path === "/hooked"));
    const event = verified(secret, delivery);
    expect(event).toMatchObject({ type: "seat.freed", data: { poolId: pool.poolId, seatId: ann.seatId, user: "ann", machine: "PC-1" } });

    // the delivery log, reached from the list, says it was delivered
    await page.goto(poolUrl(pool.poolId, "/webhooks"));
    await page.getByRole("link", { name: `Delivery log of the webhook to ${receiver.url}/hooked` }).click();
    expect(await page.getByRole("heading", { level: 1 }).innerText()).toBe(`Deliveries to ${receiver.url}/hooked`);
    const rows = await untilFound("the delivery recorded as delivered", async () => {
      await page.reload();
      const r = await deliveryRows(page);
      return r.length === 1 && r[0]![2] === "Delivered" ? r : undefined;
    });
    expect(rows).toEqual([["seat.freed", "1", "Delivered", "none"]]);
    if (process.env.SCREENSHOT_DIR) await page.screenshot({ path: `${process.env.SCREENSHOT_DIR}/webhook-deliveries.png`, fullPage: true });
    expect(await page.locator("tr.delivery").first().getAttribute("data-delivery-id")).toBe(delivery.headers["webhook-id"]);
    expect(await page.getByRole("alert").count()).toBe(0);
    expect(await page.content()).not.toContain(secret.slice(6));
    await context.close();
  });

  it("shows a receiver that answers 500 as retrying, with its last error", async () => {
    const pool = await createPool(server, "Flaky Receiver plc", 2);
    const { context, page } = await newSignedInPage(browser, server, server.vendorToken);
    await page.goto(poolUrl(pool.poolId, "/webhooks"));
    await addWebhook(page, `${receiver.url}/down`, ["credentials.rotated"]);
    const webhookId = (await api(server, "GET", `/v1/pools/${pool.poolId}/webhooks`, undefined, pool.adminKey)).body.webhooks[0].webhookId as string;
    expect((await api(server, "POST", `/v1/pools/${pool.poolId}/credentials`, {}, pool.adminKey)).status).toBe(201);
    await page.goto(poolUrl(pool.poolId, `/webhooks/${webhookId}`));
    const rows = await untilFound("the first attempt recorded", async () => {
      await page.reload();
      const r = await deliveryRows(page);
      return r.length === 1 && r[0]![1] === "1" ? r : undefined;
    });
    expect(rows).toEqual([["credentials.rotated", "1", "Retrying", "HTTP 500"]]);
    expect(await page.locator("tr.delivery-pending").count()).toBe(1);
    await context.close();
  });

  it("tells bad input in words and adds nothing: a URL that is not http(s), no event ticked, an event type it does not know", async () => {
    const pool = await createPool(server, "Careful Ltd", 2);
    const { context, page } = await newSignedInPage(browser, server, pool.adminKey);
    await page.goto(poolUrl(pool.poolId, "/webhooks"));

    // the server's URL guard speaks
    await addWebhook(page, "ftp://files.example.com/hook", ["seat.freed"]);
    expect(await alert(page)).toBe("A webhook URL must use https. Nothing was added.");
    await addWebhook(page, `${receiver.url}/nothing-ticked`, []);
    expect(await alert(page)).toBe("Events to send: tick at least one. Nothing was added.");

    // a forged form (same origin, this session's token) naming an event type that does not exist
    const csrf = (await page.locator("input[name=_csrf]").first().getAttribute("value"))!;
    const cookie = `__Host-seatkeeper-session=${(await sessionCookie(context))!.value}`;
    const body = new URLSearchParams([["_csrf", csrf], ["url", `${receiver.url}/x`], ["events", "seat.freed"], ["events", "pool.exploded"]]);
    const res = await fetch(poolUrl(pool.poolId, "/webhooks"), {
      method: "POST", redirect: "manual", body: body.toString(),
      headers: { "content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "same-origin", origin: server.url, cookie },
    });
    expect(res.status).toBe(303);
    // the message arrives in the flash cookie, for the page the redirect goes to
    const flash = /__Host-seatkeeper-flash=[^;,]+/.exec(res.headers.get("set-cookie") ?? "")![0];
    const shown = await fetch(poolUrl(pool.poolId, "/webhooks"), { headers: { cookie: `${cookie}; ${flash}` } });
    expect(shown.status).toBe(200);
    expect(await shown.text()).toContain("Events to send: “pool.exploded” is not an event type; choose from the list. Nothing was added.");

    expect((await api(server, "GET", `/v1/pools/${pool.poolId}/webhooks`, undefined, pool.adminKey)).body.webhooks).toEqual([]);
    await context.close();
  });

  it("removes a webhook after the browser's confirmation, and without JavaScript after a confirmation page", async () => {
    const pool = await createPool(server, "Tidy Ltd", 2);
    for (const path of ["/one", "/two"]) {
      expect((await api(server, "POST", `/v1/pools/${pool.poolId}/webhooks`, { url: `${receiver.url}${path}`, events: ["seat.freed"] }, pool.adminKey)).status).toBe(201);
    }
    const { context, page } = await newSignedInPage(browser, server, pool.adminKey);
    await page.goto(poolUrl(pool.poolId, "/webhooks"));
    let question = "";
    page.once("dialog", (d) => {
      question = d.message();
      void d.accept();
    });
    await page.getByRole("button", { name: `Remove the webhook to ${receiver.url}/one` }).click();
    expect(await notice(page)).toBe("Removed the webhook; nothing more is sent to it.");
    expect(question).toContain(`Remove the webhook to ${receiver.url}/one?`);
    expect(await page.locator("table.webhooks tbody tr th").allInnerTexts()).toEqual([`${receiver.url}/two`]);
    await context.close();

    const bare = await newSignedInPage(browser, server, pool.adminKey, { javaScriptEnabled: false });
    await bare.page.goto(poolUrl(pool.poolId, "/webhooks"));
    await bare.page.getByRole("button", { name: `Remove the webhook to ${receiver.url}/two` }).click();
    await bare.page.getByRole("heading", { name: "Remove this webhook?" }).waitFor();
    expect((await api(server, "GET", `/v1/pools/${pool.poolId}/webhooks`, undefined, pool.adminKey)).body.webhooks).toHaveLength(1);
    await bare.page.getByRole("button", { name: "Remove the webhook" }).click();
    expect(await notice(bare.page)).toBe("Removed the webhook; nothing more is sent to it.");
    expect(await bare.page.locator("#webhooks-title + p").innerText()).toBe("No webhooks yet. Add one below.");
    expect((await api(server, "GET", `/v1/pools/${pool.poolId}/webhooks`, undefined, pool.adminKey)).body.webhooks).toEqual([]);
    await bare.context.close();
  });

  it("keeps a pool admin out of another pool's webhooks", async () => {
    const mine = await createPool(server, "Own Hooks Ltd", 1);
    const theirs = await createPool(server, "Other Hooks plc", 1);
    const hook = (await api(server, "POST", `/v1/pools/${theirs.poolId}/webhooks`, { url: `${receiver.url}/theirs`, events: ["seat.freed"] }, theirs.adminKey)).body;
    const { context, page } = await newSignedInPage(browser, server, mine.adminKey);
    for (const path of ["/webhooks", `/webhooks/${hook.webhookId}`]) {
      const res = await page.goto(poolUrl(theirs.poolId, path));
      expect(res!.status(), path).toBe(403);
      expect(await page.content()).not.toContain("/theirs");
    }
    await page.goto(poolUrl(mine.poolId, "/webhooks"));
    const csrf = (await page.locator("input[name=_csrf]").first().getAttribute("value"))!;
    const cookie = `__Host-seatkeeper-session=${(await sessionCookie(context))!.value}`;
    const headers = { "content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "same-origin", origin: server.url, cookie };
    for (const [path, form] of [
      ["/webhooks", { url: `${receiver.url}/stolen`, events: "seat.freed" }],
      [`/webhooks/${hook.webhookId}/remove`, { confirmed: "yes" }],
    ] as const) {
      const res = await fetch(poolUrl(theirs.poolId, path), { method: "POST", redirect: "manual", headers, body: new URLSearchParams({ _csrf: csrf, ...form }).toString() });
      expect(res.status, path).toBe(403);
    }
    // and a post from another site is refused before it is read
    const cross = await fetch(poolUrl(mine.poolId, "/webhooks"), {
      method: "POST", redirect: "manual", headers: { ...headers, "sec-fetch-site": "cross-site", origin: "http://localhost:1" },
      body: new URLSearchParams({ _csrf: csrf, url: `${receiver.url}/cross`, events: "seat.freed" }).toString(),
    });
    expect(cross.status).toBe(403);
    expect((await api(server, "GET", `/v1/pools/${theirs.poolId}/webhooks`, undefined, theirs.adminKey)).body.webhooks).toHaveLength(1);
    expect((await api(server, "GET", `/v1/pools/${mine.poolId}/webhooks`, undefined, mine.adminKey)).body.webhooks).toEqual([]);
    await context.close();
  });

  it("fits a phone's width", async () => {
    const pool = await createPool(server, "Small Screen Ltd", 1);
    await api(server, "POST", `/v1/pools/${pool.poolId}/webhooks`, { url: `${receiver.url}/a-rather-long-path/that/goes/on/and/on/seatkeeper`, events: ["seat.freed", "pool.denied", "pool.usage_high"] }, pool.adminKey);
    const { context, page } = await newSignedInPage(browser, server, pool.adminKey, { viewport: { width: 390, height: 844 } });
    await page.goto(poolUrl(pool.poolId, "/webhooks"));
    expect(await fitsWidth(page)).toBe(true);
    await context.close();
  });
});

describe("the vendor's webhooks for every pool", () => {
  it("adds one from the vendor's Webhooks page, gets a pool's event signed, shows that pool's deliveries to it, and removes it", async () => {
    const pool = await createPool(server, "Everywhere Ltd", 2);
    const held = (await checkout(server, pool, { user: "vera", machine: "PC-7" })).body as Checkout;
    const { context, page } = await newSignedInPage(browser, server, server.vendorToken);
    await page.getByRole("navigation", { name: "Account" }).getByRole("link", { name: "Webhooks" }).click();
    expect(await page.getByRole("heading", { level: 1 }).innerText()).toBe("Webhooks for every pool");
    expect(await unnamedControls(page)).toEqual([]);
    await addWebhook(page, `${receiver.url}/vendor`, ["seat.freed"]);
    expect(await notice(page)).toBe(`Added the webhook to ${receiver.url}/vendor for every pool: it sends seat.freed.`);
    const secret = (await page.locator("#webhook-secret").innerText()).trim();
    expect(secret).toMatch(/^whsec_/);
    expect(await page.locator("table.webhooks tbody th").allInnerTexts()).toEqual([`${receiver.url}/vendor`]);
    const listed = (await api(server, "GET", "/v1/webhooks", undefined, server.vendorToken)).body.webhooks;
    expect(listed).toEqual([expect.objectContaining({ url: `${receiver.url}/vendor`, events: ["seat.freed"] })]);
    await page.reload();
    expect(await page.content()).not.toContain(secret.slice(6));

    expect((await api(server, "DELETE", `/v1/pools/${pool.poolId}/seats/${held.seatId}`, undefined, pool.adminKey)).status).toBe(200);
    const delivery = await untilFound("the vendor-wide delivery", () => receiver.received.find((r) => r.path === "/vendor" && r.body.includes(pool.poolId)));
    const event = verified(secret, delivery);
    expect(event).toMatchObject({ type: "seat.freed", data: { poolId: pool.poolId, user: "vera" } });

    // the pool's Webhooks page shows the vendor the vendor-wide one, and its log of this pool's deliveries
    await page.goto(poolUrl(pool.poolId, "/webhooks"));
    expect(await page.locator("table.vendor-webhooks tbody th").allInnerTexts()).toEqual([`${receiver.url}/vendor`]);
    await page.getByRole("link", { name: `This pool's deliveries to the vendor-wide webhook to ${receiver.url}/vendor` }).click();
    const rows = await untilFound("the delivery recorded as delivered", async () => {
      await page.reload();
      const r = await deliveryRows(page);
      return r.length === 1 && r[0]![2] === "Delivered" ? r : undefined;
    });
    expect(rows).toEqual([["seat.freed", "1", "Delivered", "none"]]);
    expect(await page.locator(".page-head").innerText()).toContain("A vendor-wide webhook; its deliveries from this pool");

    // the pool's admin sees neither the vendor's webhook nor its log, and not the vendor's page
    const admin = await newSignedInPage(browser, server, pool.adminKey);
    await admin.page.goto(poolUrl(pool.poolId, "/webhooks"));
    expect(await admin.page.locator("table.vendor-webhooks").count()).toBe(0);
    expect(await admin.page.content()).not.toContain("/vendor<");
    expect((await admin.page.goto(poolUrl(pool.poolId, `/webhooks/${listed[0].webhookId}`)))!.status()).toBe(404);
    expect((await admin.page.goto(`${server.url}/admin/webhooks`))!.status()).toBe(403);
    expect(await admin.page.getByRole("heading", { level: 1 }).innerText()).toBe("Vendor only");
    await admin.context.close();

    page.once("dialog", (d) => void d.accept());
    await page.goto(`${server.url}/admin/webhooks`);
    await page.getByRole("button", { name: `Remove the webhook to ${receiver.url}/vendor` }).click();
    expect(await notice(page)).toBe("Removed the webhook; no pool sends anything more to it.");
    expect((await api(server, "GET", "/v1/webhooks", undefined, server.vendorToken)).body.webhooks).toEqual([]);
    await context.close();
  });

  it("lets a viewer on the staff read them but not add or remove one", async () => {
    const staff = await api(server, "POST", "/v1/staff", { email: "viv@vendor.example", name: "Viv", role: "viewer" }, server.vendorToken);
    expect(staff.status).toBe(201);
    const hook = await api(server, "POST", "/v1/webhooks", { url: `${receiver.url}/kept`, events: ["pool.denied"] }, server.vendorToken);
    expect(hook.status).toBe(201);
    const { context, page } = await newSignedInPage(browser, server, staff.body.token);
    await page.goto(`${server.url}/admin/webhooks`);
    expect(await page.locator("table.webhooks tbody th").allInnerTexts()).toEqual([`${receiver.url}/kept`]);
    expect(await page.getByRole("button", { name: /^Remove/ }).count()).toBe(0);
    expect(await page.getByRole("button", { name: "Add webhook" }).count()).toBe(0);
    expect(await page.locator("main").innerText()).toContain("Only the vendor's owners can add or remove vendor-wide webhooks.");

    // a form made by hand is refused all the same, in words
    const csrf = (await page.locator("input[name=_csrf]").first().getAttribute("value"))!;
    const cookie = `__Host-seatkeeper-session=${(await sessionCookie(context))!.value}`;
    const headers = { "content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "same-origin", origin: server.url, cookie };
    for (const [path, form] of [["/admin/webhooks", { url: `${receiver.url}/viewer`, events: "seat.freed" }], [`/admin/webhooks/${hook.body.webhookId}/remove`, { confirmed: "yes" }]] as const) {
      const res = await fetch(`${server.url}${path}`, { method: "POST", redirect: "manual", headers, body: new URLSearchParams({ _csrf: csrf, ...form }).toString() });
      expect(res.status, path).toBe(303);
      const flash = /__Host-seatkeeper-flash=[^;,]+/.exec(res.headers.get("set-cookie") ?? "")![0];
      const shown = (await (await fetch(`${server.url}/admin/webhooks`, { headers: { cookie: `${cookie}; ${flash}` } })).text()).replaceAll("&#39;", "'");
      expect(shown, path).toContain(`The viewer role may not add or remove vendor-wide webhooks; ask an owner of the vendor's staff. Nothing was ${path.endsWith("/remove") ? "removed" : "added"}.`);
    }
    const after = (await api(server, "GET", "/v1/webhooks", undefined, server.vendorToken)).body.webhooks;
    expect(after.map((w: { url: string }) => w.url)).toEqual([`${receiver.url}/kept`]);
    expect((await api(server, "DELETE", `/v1/webhooks/${hook.body.webhookId}`, undefined, server.vendorToken)).status).toBe(200);
    await context.close();
  });
});

describe("seat advice beside the usage chart", () => {
  it("shows the recommended seats, the message and its figures, to the vendor and the pool admin alike", async () => {
    const pool = await createPool(server, "Roomy Ltd", 10);
    for (const [user, machine] of [["ann", "PC-1"], ["bob", "PC-2"]]) expect((await checkout(server, pool, { user: user!, machine: machine! })).status).toBe(201);
    const advice = (await api(server, "GET", `/v1/pools/${pool.poolId}/advice`, undefined, pool.adminKey)).body;
    expect(advice).toMatchObject({ seats: 10, recommendedSeats: 3 });
    for (const credential of [server.vendorToken, pool.adminKey]) {
      const { context, page } = await newSignedInPage(browser, server, credential);
      await page.goto(poolUrl(pool.poolId));
      // inside the usage card, after the chart
      const box = page.locator("section[aria-labelledby=usage-title] #advice");
      expect(await box.getByRole("heading").innerText()).toBe("Seat advice");
      expect(await box.locator(".advice-verdict").innerText()).toBe("Recommended: 3 seats, 7 fewer than now");
      expect(await box.locator(".advice-message").innerText()).toBe(advice.message);
      expect(advice.message).toContain("Use never went above 2 of 10 seats");
      expect(await box.locator(".advice-basis").innerText()).toBe(
        "Last 30 days: peak 2 of 10 in use · 95% of busy hours at or below 2 · 0 hours at full use · 0 people turned away in 0 hours.",
      );
      // the pool admin is told whose the seat count is
      expect((await box.innerText()).includes("your vendor's to change")).toBe(credential === pool.adminKey);
      if (process.env.SCREENSHOT_DIR) await page.screenshot({ path: `${process.env.SCREENSHOT_DIR}/advice.png`, fullPage: true });
      await context.close();
    }
  });
});

// ---- bidi: the views rendered with hostile text, laid out in Chromium (as dashboard-bidi.test.ts does for the pool page) ----

const RLO = "\u202E";
const NOW = Date.parse("2026-12-01T12:00:00.000Z");
const session: DashboardSession = { role: "admin", poolId: "GK3M9Q2XB4TN8W1R", keyHash: "0".repeat(64), ssoEmail: null, adminId: null, csrf: "csrf", idHash: "0".repeat(64), handle: "0".repeat(16) };
const scope = { kind: "pool", poolId: "GK3M9Q2XB4TN8W1R", customer: `${RLO}Acme`, alertThresholdPercent: 80 } as const;
const evilHook = { webhookId: "wh_1", url: `https://hooks.example.com/${RLO}evil/path`, events: ["seat.freed"], createdAt: new Date(NOW - 60_000).toISOString() };

// Text nodes holding a bidirectional control that neither a <bdi> holds nor U+2068…U+2069 isolate.
const LOOSE_BIDI = `(() => [...document.querySelectorAll("body *")].flatMap((el) =>
  [...el.childNodes].filter((n) => n.nodeType === 3 && /[\\u202A-\\u202E]/.test(n.data)
    && !n.parentElement.closest("bdi") && !/\\u2068[^\\u2069]*[\\u202A-\\u202E][^\\u2069]*\\u2069/.test(n.data)).map((n) => n.data)))()`;

describe("webhook pages with right-to-left overrides in a customer, a URL and an error", () => {
  it("isolates each of them, in text and in the attributes a person reads", async () => {
    const list = await renderMarkup(browser, String(await WebhooksPage({ session, scope, webhooks: [evilHook], now: NOW, flash: { notice: "x" } }).toString()));
    expect(await list.evaluate(LOOSE_BIDI)).toEqual([]);
    expect(await list.locator("section[aria-labelledby=webhooks-title]").innerText()).toContain("evil");
    expect(await list.getByRole("button", { name: /^Remove the webhook/ }).getAttribute("aria-label")).toBe(`Remove the webhook to \u2068${evilHook.url}\u2069`);
    expect(await list.locator("form[data-confirm]").getAttribute("data-confirm")).toContain(`\u2068${evilHook.url}\u2069?`);
    expect(await list.title()).toBe(`Webhooks of \u2068${RLO}Acme\u2069 · Seatkeeper`);
    // the threshold of this pool, in the event's description
    expect(await list.getByRole("checkbox", { name: /^pool\.usage_high:/ }).count()).toBe(1);
    expect(await list.locator("label.choice", { hasText: "pool.usage_high" }).innerText()).toContain("reached 80% of the pool's seats");
    await list.close();

    const failed: Delivery = { id: "msg_1", type: "seat.freed", at: new Date(NOW - 3_600_000).toISOString(), attempts: 6, status: "failed", lastError: `could not connect: ${RLO}refused` };
    const ok: Delivery = { ...failed, id: "msg_2", attempts: 1, status: "delivered", lastError: null };
    const log = await renderMarkup(browser, String(await DeliveriesPage({ session, scope, webhook: evilHook, deliveries: [failed, ok], now: NOW }).toString()));
    expect(await log.evaluate(LOOSE_BIDI)).toEqual([]);
    // the failed one is marked, in words and in colour, and the page says why it matters
    expect(await log.locator("tr.delivery-failed").count()).toBe(1);
    expect(await log.locator("tr.delivery-failed .flag.failed").innerText()).toBe("Failed: given up after 6 attempts");
    const background = (el: unknown) => (globalThis as any).getComputedStyle(el).backgroundColor as string;
    expect(await log.locator("tr.delivery-failed td").first().evaluate(background)).not.toBe(await log.locator("tr.delivery-delivered td").first().evaluate(background));
    expect(await log.getByRole("alert").innerText()).toMatch(/^1 delivery failed: /);
    if (process.env.SCREENSHOT_DIR) await log.screenshot({ path: `${process.env.SCREENSHOT_DIR}/webhook-failed.png`, fullPage: true });
    await log.close();

    // the same check finds the text of markup without the isolation: it can fail
    const bare = await renderMarkup(browser, String(await DeliveriesPage({ session, scope, webhook: evilHook, deliveries: [failed], now: NOW }).toString()).replace(/<\/?bdi>/g, ""));
    expect((await bare.evaluate(LOOSE_BIDI) as string[]).length).toBeGreaterThanOrEqual(3);
    await bare.close();
  });
});
