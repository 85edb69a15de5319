/**
 * What the dashboard's browser tests share: a headless Chromium driven by playwright-core
 * (the system's when it has one, else the one npm brought), and short-hands for the HTTP
 * API the tests drive the pool with.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { expect } from "vitest";
import { parseVars } from "../../scripts/local-secrets.js";
import { DASHBOARD_CSS } from "../../src/worker/dashboard/assets.js";
import { CSS_PATH, JS_PATH } from "../../src/worker/dashboard/views/layout.js";
import { api, startLocalServer, type Json, type LocalServer } from "./local-server.js";

const SYSTEM_CHROMIUM = "/usr/bin/chromium";

/**
 * `CHROMIUM_PATH`, else Debian's Chromium, else the Chromium 143 that the dev dependency
 * @sparticuz/chromium ships inside its npm package (unpacked into the temporary folder on
 * first use), so a fresh clone needs no browser installed.
 */
export async function chromiumPath(): Promise<string> {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  if (existsSync(SYSTEM_CHROMIUM)) return SYSTEM_CHROMIUM;
  const { default: packaged } = await import("@sparticuz/chromium");
  return packaged.executablePath();
}

/**
 * Headless Chromium with the flags that keep it quiet and offline (not @sparticuz's own
 * flags: they switch web security off, which the dashboard's defences are tested against).
 * Playwright gives each launch a fresh temporary --user-data-dir, and each context its own cookie jar.
 */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: await chromiumPath(),
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-quic",
    ],
  });
}

// The HTTP API's short-hand lives with the server (local-server.ts); the browser tests keep importing it from here.
export { api, type Json } from "./local-server.js";

export interface CreatedPool {
  poolId: string;
  customer: string;
  seats: number;
  serial: string;
  productKey: string;
  adminKey: string;
}

export async function createPool(server: LocalServer, customer: string, seats: number): Promise<CreatedPool> {
  const out = await api(server, "POST", "/v1/pools", { customer, seats }, server.vendorToken);
  if (out.status !== 201) throw new Error(`pool not created: ${out.status} ${JSON.stringify(out.body)}`);
  return out.body as CreatedPool;
}

export interface Checkout {
  sessionId: string;
  token: string;
  seatId: string;
}

export async function checkout(
  server: LocalServer,
  creds: { serial: string; productKey: string },
  who: { user: string; machine: string; terminalSession?: string; clientVersion?: string },
): Promise<Json> {
  return api(server, "POST", "/v1/sessions", { serial: creds.serial, productKey: creds.productKey, ...who });
}

export function heartbeat(server: LocalServer, session: Checkout): Promise<Json> {
  return api(server, "POST", `/v1/sessions/${session.sessionId}/heartbeat`, undefined, session.token);
}

export async function signIn(page: Page, server: LocalServer, credential: string): Promise<void> {
  await page.goto(`${server.url}/admin`);
  await page.getByLabel("Pool admin key or vendor token").fill(credential);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForLoadState("domcontentloaded");
}

export async function newSignedInPage(browser: Browser, server: LocalServer, credential: string, options: Parameters<Browser["newContext"]>[0] = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  await signIn(page, server, credential);
  return { context, page };
}

export async function sessionCookie(context: BrowserContext) {
  return (await context.cookies()).find((c) => c.name === "__Host-seatkeeper-session");
}

/** The secrets the server was started with (SIGNING_KEY, ADMIN_TOKEN), as the start script handed them to wrangler. */
export function serverSecrets(server: LocalServer): { SIGNING_KEY: string; ADMIN_TOKEN: string } {
  const vars = parseVars(readFileSync(path.join(server.stateDir, ".runtime.vars"), "utf8"));
  return { SIGNING_KEY: vars.SIGNING_KEY!, ADMIN_TOKEN: vars.ADMIN_TOKEN! };
}

// Run in the page; written as source text because this project's TypeScript has no DOM types.
const UNNAMED_CONTROLS = `(() => {
  const out = [];
  for (const el of document.querySelectorAll("input, select, textarea, button, a[href]")) {
    if ((el.tagName === "INPUT" && el.type === "hidden") || el.hidden) continue;
    const labelled =
      (el.getAttribute("aria-label") || "").trim() ||
      (el.getAttribute("aria-labelledby") || "").trim() ||
      (el.labels && el.labels.length > 0) ||
      ((el.tagName === "BUTTON" || el.tagName === "A") && (el.textContent || "").trim());
    if (!labelled) out.push(el.outerHTML.slice(0, 120));
  }
  return out;
})()`;

/** Controls without an accessible name (label, aria-label or aria-labelledby, or text for buttons and links). */
export function unnamedControls(page: Page): Promise<string[]> {
  return page.evaluate(UNNAMED_CONTROLS);
}

/** True when the page fits the window's width (no sideways scrolling). */
export function fitsWidth(page: Page): Promise<boolean> {
  return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth");
}

/**
 * What a browser test file starts before its tests: the local server, then Chromium, one
 * at a time, so that when the browser fails to start the server is stopped again.
 */
export async function startServerAndBrowser(): Promise<{ server: LocalServer; browser: Browser }> {
  const server = await startLocalServer();
  try {
    return { server, browser: await launchChromium() };
  } catch (e) {
    await server.dispose();
    throw e;
  }
}

/** What a browser test file ends with: the browser closed, then the server stopped (either may be missing). */
export async function closeServerAndBrowser(server: LocalServer | undefined, browser: Browser | undefined): Promise<void> {
  await browser?.close();
  await server?.dispose();
}

/** A view's markup with the stylesheet inline (no server behind it) and no script, laid out in Chromium at 1280 × 900. */
export async function renderMarkup(browser: Browser, markup: string): Promise<Page> {
  const html = markup.replace(`<link rel="stylesheet" href="${CSS_PATH}"/>`, `<style>${DASHBOARD_CSS}</style>`).replace(`<script src="${JS_PATH}" defer=""></script>`, "");
  expect(html).toContain("<style>");
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.setContent(html);
  return page;
}
