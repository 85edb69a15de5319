/**
 * Names with bidirectional controls, as rows stored before the API refused them may hold:
 * the API no longer takes them, so the pool page is rendered here from its view function
 * with such rows, and laid out in headless Chromium. A U+202E (RIGHT-TO-LEFT OVERRIDE) in a
 * name must not reorder the text around it: each name is in its own <bdi>, or isolated
 * with U+2068…U+2069 where it sits inside a plain string (a notice, a confirm question).
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PoolEvent, Seat } from "../../src/contract/schemas.js";
import type { PoolPageData } from "../../src/worker/dashboard/operations.js";
import type { DashboardSession } from "../../src/worker/dashboard/session.js";
import { isolate } from "../../src/worker/dashboard/views/format.js";
import { PoolPage, identity } from "../../src/worker/dashboard/views/pool-page.js";
import { VendorPage } from "../../src/worker/dashboard/views/vendor-page.js";
import { launchChromium, renderMarkup } from "./dashboard-browser.js";

const RLO = "\u202E";
const PDF = "\u202C";
const EVIL_USER = `${RLO}evil`;
const EVIL_MACHINE = `${RLO}PC-666`;
const EVIL_TERMINAL = `${RLO}RDP#9`;
const EVIL_CUSTOMER = `${RLO}Acme`;
const NOW = Date.parse("2026-12-01T12:00:00.000Z");
const at = (minutesAgo: number) => new Date(NOW - minutesAgo * 60_000).toISOString();

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

const seat: Seat = {
  seatId: "seat_evil",
  user: EVIL_USER,
  machine: EVIL_MACHINE,
  terminalSession: EVIL_TERMINAL,
  since: at(30),
  lastSeenAt: at(1),
  sessions: [{ sessionId: "ses_1", clientVersion: "16.0.2", startedAt: at(30), lastSeenAt: at(1) }],
  sharedFromAddresses: true,
};
const plainSeat: Seat = { ...seat, seatId: "seat_plain", user: "ann", machine: "PC-1", terminalSession: null, sharedFromAddresses: false };

const event = (id: number, e: Partial<PoolEvent>): PoolEvent => ({
  id: String(id), at: at(id), type: "checkout", actor: null, seatId: null, sessionId: null, user: null, machine: null, terminalSession: null, details: null, ...e,
});

function poolData(): PoolPageData {
  return {
    pool: {
      poolId: "GK3M9Q2XB4TN8W1R", customer: EVIL_CUSTOMER, seats: 5, inUse: 2, serial: "SK-GK3M-9Q2X-B4TN-8W1R-1C",
      minClientVersion: null, staleAfterHours: null, maxSessionsPerSeat: 10, maxAddressesPerSeat: 3, refuseWidelySharedSeats: false,
      createdAt: at(600), region: "global", locationHint: null, retentionDays: 90, alertThresholdPercent: 90,
    },
    seats: [seat, plainSeat],
    seatsNext: null,
    seatsTotal: 2,
    view: { q: EVIL_USER, page: 1 },
    events: [
      event(1, { type: "checkout", seatId: seat.seatId, user: EVIL_USER, machine: EVIL_MACHINE, terminalSession: EVIL_TERMINAL, details: { seatShared: false } }),
      event(2, { type: "freed", seatId: seat.seatId, actor: `self:${EVIL_USER}@PC-1`, user: "bob", machine: "PC-2", details: { sessionsEnded: 1 } }),
      event(3, { type: "pool_updated", actor: "vendor", details: { customer: { from: EVIL_CUSTOMER, to: "Acme" } } }),
    ],
    olderEvents: null,
    range: "24h",
    buckets: [],
  };
}

const session: DashboardSession = { role: "vendor", csrf: "csrf-token-of-the-test", idHash: "0".repeat(64), handle: "0".repeat(16) };

async function poolPageMarkup(notice?: string): Promise<string> {
  return String(await PoolPage({ session, data: poolData(), flash: notice ? { notice } : undefined, now: NOW, olderView: false }).toString());
}

/** Markup as it would be without the isolation, to show the layout check can fail. */
function unisolated(markup: string): string {
  return markup.replace(/<\/?bdi>/g, "").replace(/[\u2068\u2069]/g, "");
}

// Run in the page (source text: this project's TypeScript has no DOM types). The left edge on
// screen of the first occurrence of `text` inside the element `selector` matches.
const LEFT_OF = `([selector, text]) => {
  const root = document.querySelector(selector);
  if (!root) throw new Error("no " + selector);
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const i = node.data.indexOf(text);
    if (i < 0) continue;
    const range = document.createRange();
    range.setStart(node, i);
    range.setEnd(node, i + text.length);
    const rects = [...range.getClientRects()];
    return Math.min(...rects.map((r) => r.left));
  }
  throw new Error("no " + JSON.stringify(text) + " in " + selector);
}`;

function leftOf(page: Page, selector: string, text: string): Promise<number> {
  return page.evaluate(`(${LEFT_OF})(${JSON.stringify([selector, text])})`);
}

/** True when the words appear left to right on screen in this order, inside the element. */
async function inOrder(page: Page, selector: string, words: string[]): Promise<boolean> {
  const xs: number[] = [];
  for (const w of words) xs.push(await leftOf(page, selector, w));
  return xs.every((x, i) => i === 0 || x > xs[i - 1]!);
}

// Every text node holding a bidirectional control, and whether a <bdi> holds it or it is isolated in the text itself.
const BIDI_TEXT = `(() => [...document.querySelectorAll("body *")].flatMap((el) =>
  [...el.childNodes].filter((n) => n.nodeType === 3 && /[\\u202A-\\u202E\\u2066-\\u2069]/.test(n.data))
    .map((n) => ({ text: n.data, inBdi: !!n.parentElement.closest("bdi"), isolated: /\\u2068[^\\u2069]*[\\u202A-\\u202E][^\\u2069]*\\u2069/.test(n.data) }))))()`;

describe("names holding U+202E, from rows stored before the API refused them", () => {
  it("puts every name on the pool page in its own <bdi> (or isolates it inside a sentence)", async () => {
    const page = await renderMarkup(browser, await poolPageMarkup(`Freed the seat of ${identity(seat)}; its session has ended.`));
    const texts = (await page.evaluate(BIDI_TEXT)) as { text: string; inBdi: boolean; isolated: boolean }[];
    // the seat (user, machine, terminal session), the event's who and by, the customer in the heading, the event's old customer, the search, the notice
    expect(texts.length).toBeGreaterThanOrEqual(9);
    expect(texts.filter((t) => !t.inBdi && !t.isolated)).toEqual([]);
    // Attributes a person reads (the accessible name, the confirm question, the page's title) isolate it too.
    const free = page.locator("table.seats tbody tr").first().locator("form");
    expect(await free.getAttribute("data-confirm")).toContain(`\u2068${EVIL_USER}\u2069 on \u2068${EVIL_MACHINE}\u2069 (\u2068${EVIL_TERMINAL}\u2069)?`);
    expect(await free.getByRole("button").getAttribute("aria-label")).toBe(`Free the seat of \u2068${EVIL_USER}\u2069 on \u2068${EVIL_MACHINE}\u2069 (\u2068${EVIL_TERMINAL}\u2069)`);
    expect(await page.title()).toBe(`\u2068${EVIL_CUSTOMER}\u2069 · Seatkeeper`);
    await page.close();
  });

  it("keeps the row's other cells and the words around each name in their order on screen", async () => {
    const markup = await poolPageMarkup(`Freed the seat of ${identity(seat)}; its session has ended.`);
    const page = await renderMarkup(browser, markup);
    const row = "table.seats tbody tr:first-child";
    // The cells left to right: user, machine, terminal session, since, …, the Free button.
    const cellLefts = await page.locator(`${row} > *`).evaluateAll((cells) => cells.map((c) => c.getBoundingClientRect().left));
    expect(cellLefts).toEqual([...cellLefts].sort((a, b) => a - b));
    expect(await page.locator(`${row} > *`).allInnerTexts()).toEqual([
      expect.stringContaining("evil"), expect.stringContaining("PC-666"), expect.stringContaining("RDP#9"),
      expect.stringContaining("Dec 2026"), expect.stringContaining("Dec 2026"), "1", "–", "–", "Free",
    ]);
    // Where a name shares a line with other words: the event's who, the notice, a settings change, the search summary.
    const who = "table.events tbody tr:first-child td:nth-child(3)";
    expect(await inOrder(page, who, ["evil", " on ", "PC-666", " (", "RDP#9"])).toBe(true);
    expect(await inOrder(page, "p.message.notice", ["Freed the seat of", "evil", " on ", "PC-666", "its session has ended"])).toBe(true);
    expect(await inOrder(page, "table.events tbody tr:nth-child(3) td:nth-child(2)", ["Settings changed", "customer", "Acme", "→"])).toBe(true);
    expect(await inOrder(page, ".seats-summary", ["seats in use match", "evil", "”."])).toBe(true);
    await page.screenshot({ path: process.env.SCREENSHOT_DIR ? `${process.env.SCREENSHOT_DIR}/bidi.png` : undefined, fullPage: true });
    await page.close();

    // The same page without the isolation is reordered by the same check: it can fail.
    const bare = await renderMarkup(browser, unisolated(markup));
    expect(await inOrder(bare, who, ["evil", " on ", "PC-666", " (", "RDP#9"])).toBe(false);
    expect(await inOrder(bare, "p.message.notice", ["Freed the seat of", "evil", " on ", "PC-666", "its session has ended"])).toBe(false);
    await bare.close();
  });

  it("isolates customers on the vendor's list and in its notices", async () => {
    const markup = String(await VendorPage({
      session,
      pools: [{ poolId: "GK3M9Q2XB4TN8W1R", customer: EVIL_CUSTOMER, seats: 5, inUse: 2, region: "global", locationHint: null }, { poolId: "HK3M9Q2XB4TN8W1R", customer: `${RLO}x${PDF}`, seats: 1, inUse: 0, region: "global", locationHint: null }],
      next: null,
      flash: { notice: `${isolate(EVIL_CUSTOMER)} now has 5 seats.` },
    }).toString());
    const page = await renderMarkup(browser, markup);
    const texts = (await page.evaluate(BIDI_TEXT)) as { text: string; inBdi: boolean; isolated: boolean }[];
    expect(texts.length).toBeGreaterThanOrEqual(3);
    expect(texts.filter((t) => !t.inBdi && !t.isolated)).toEqual([]);
    const row = "table.pools tbody tr:first-child";
    const cellLefts = await page.locator(`${row} > *`).evaluateAll((cells) => cells.map((c) => c.getBoundingClientRect().left));
    expect(cellLefts).toEqual([...cellLefts].sort((a, b) => a - b));
    expect(await page.getByLabel(`Seats for \u2068${EVIL_CUSTOMER}\u2069`, { exact: true }).inputValue()).toBe("5");
    expect(await inOrder(page, "p.message.notice", ["Acme", "now has 5 seats"])).toBe(true);
    await page.close();
  });
});
