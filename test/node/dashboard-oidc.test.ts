/**
 * Dashboard sign-in with OpenID Connect, end to end in Chromium: a real identity provider
 * (the `oidc-provider` package, with its development login pages) on a local port, the real
 * local server told about it through OIDC_*, and a staff member named by their e-mail.
 */
import type { Server } from "node:http";
import Provider from "oidc-provider";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, launchChromium, sessionCookie } from "./dashboard-browser.js";
import { freePort, startLocalServer, type LocalServer } from "./local-server.js";

let server: LocalServer;
let browser: Browser;
let idp: Server;
let issuerUrl: string;

beforeAll(async () => {
  const idpPort = await freePort();
  const issuer = `http://127.0.0.1:${idpPort}`;
  server = await startLocalServer({ env: { OIDC_ISSUER: issuer, OIDC_CLIENT_ID: "seatkeeper-dashboard", OIDC_CLIENT_SECRET: "a-client-secret-for-the-test" } });
  const provider = new Provider(issuer, {
    clients: [{
      client_id: "seatkeeper-dashboard",
      client_secret: "a-client-secret-for-the-test",
      redirect_uris: [`${server.url}/admin/oidc/callback`],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_post",
    }, {
      // a customer's own organisation, set on their pool
      client_id: "acme-pool",
      client_secret: "acme-client-secret",
      redirect_uris: [`${server.url}/admin/oidc/callback`],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_post",
    }],
    // the development login page takes any login; the login is the e-mail address here
    findAccount: async (_ctx: unknown, id: string) => ({ accountId: id, claims: async () => ({ sub: id, email: id, email_verified: true }) }),
    claims: { openid: ["sub"], email: ["email", "email_verified"] },
    conformIdTokenClaims: false,
    pkce: { required: () => true },
  });
  idp = provider.listen(idpPort);
  issuerUrl = issuer;
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  idp?.close();
  await server?.dispose();
});

/** Through the provider's own login and consent pages, as a person would. */
async function signInWithProvider(page: Page, email: string, outcome: "signed in" | "refused" = "signed in", poolId?: string): Promise<void> {
  await page.goto(`${server.url}/admin`);
  if (poolId) {
    await page.getByLabel("IT departments whose pool has single sign-on: your pool id").fill(poolId.toLowerCase());
    await page.getByRole("button", { name: "Continue with your organisation" }).click();
  } else {
    await page.getByRole("link", { name: "Sign in with your organisation's account" }).click();
  }
  await page.locator('input[name="login"]').fill(email);
  await page.locator('input[name="password"]').fill("any password");
  await page.getByRole("button", { name: "Sign-in" }).click();
  await page.getByRole("button", { name: "Continue" }).click();
  // signed in, the callback's page moves on to the dashboard; refused, it says why
  await page.waitForURL((u) => u.href.startsWith(server.url) && u.pathname.includes("/oidc/") === (outcome === "refused"), { waitUntil: "load" });
}

async function addStaff(email: string, role = "support") {
  const res = await api(server, "POST", "/v1/staff", { email, name: "Jo", role }, server.vendorToken);
  expect(res.status).toBe(201);
  return res.body as { staffId: string };
}

describe("signing in to the dashboard with OpenID Connect", () => {
  it("signs a staff member in by their verified e-mail address, and signs them out everywhere", async () => {
    await addStaff("jo@vendor.example");
    const context = await browser.newContext();
    const page = await context.newPage();
    await signInWithProvider(page, "Jo@Vendor.example");
    expect(await page.getByRole("heading", { level: 1 }).innerText()).toBe("All pools");
    expect(await page.locator(".who").innerText()).toBe("jo@vendor.example (support)");

    // a copy of the cookie works until sign-out, and not after
    const copied = (await sessionCookie(context))!;
    const thief = await browser.newContext();
    await thief.addCookies([copied]);
    const thiefPage = await thief.newPage();
    await thiefPage.goto(`${server.url}/admin`);
    expect(await thiefPage.getByRole("heading", { level: 1 }).innerText()).toBe("All pools");

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByText("You are signed out.").waitFor();
    await thiefPage.goto(`${server.url}/admin`);
    expect(await thiefPage.getByRole("heading", { level: 1 }).innerText()).toBe("Sign in to the licence dashboard");
    expect(await thiefPage.getByRole("alert").innerText()).toContain("Your session has ended");
    await thief.close();
    await context.close();
  });

  it("refuses an address that is not on the staff, or on another domain", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signInWithProvider(page, "mallory@elsewhere.example", "refused");
    expect(await page.getByRole("alert").innerText()).toContain("mallory@elsewhere.example is not on the vendor's staff");
    expect(await sessionCookie(context)).toBeUndefined();
    await context.close();
  });

  it("refuses a replayed state: the callback URL works once", async () => {
    await addStaff("kim@vendor.example", "viewer");
    const context = await browser.newContext();
    const page = await context.newPage();
    let callback: string | undefined;
    page.on("request", (r) => {
      if (r.url().includes("/admin/oidc/callback")) callback = r.url();
    });
    await signInWithProvider(page, "kim@vendor.example");
    expect(await page.getByRole("heading", { level: 1 }).innerText()).toBe("All pools");
    expect(callback).toBeDefined();
    // the same callback again, in a browser that even kept the state cookie
    const replay = await browser.newContext();
    const state = new URL(callback!).searchParams.get("state")!;
    await replay.addCookies([{ name: "__Host-seatkeeper-oidc", value: state, domain: "127.0.0.1", path: "/", secure: true, httpOnly: true, sameSite: "Lax" }]);
    const replayPage = await replay.newPage();
    const res = await replayPage.goto(callback!);
    expect(res!.status()).toBe(400);
    expect(await replayPage.getByRole("alert").innerText()).toContain("used already");
    expect(await sessionCookie(replay)).toBeUndefined();
    await replay.close();
    await context.close();
  });

  it("refuses a disabled staff member", async () => {
    const { staffId } = await addStaff("lee@vendor.example", "owner");
    expect((await api(server, "PATCH", `/v1/staff/${staffId}`, { disabled: true }, server.vendorToken)).status).toBe(200);
    const context = await browser.newContext();
    const page = await context.newPage();
    await signInWithProvider(page, "lee@vendor.example", "refused");
    expect(await page.getByRole("alert").innerText()).toContain("disabled");
    expect(await sessionCookie(context)).toBeUndefined();
    await context.close();
  });

  it("signs a pool's admins in through the provider set on their pool, for its allowed domains only", async () => {
    const created = await api(server, "POST", "/v1/pools", { customer: "Acme SSO Ltd", seats: 2 }, server.vendorToken);
    const pool = created.body as { poolId: string; adminKey: string };
    const set = await api(server, "PATCH", `/v1/pools/${pool.poolId}`, {
      sso: { issuer: issuerUrl, clientId: "acme-pool", clientSecret: "acme-client-secret", allowedDomains: ["Acme.example"] },
    }, pool.adminKey);
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(set.body.sso).toEqual({ issuer: issuerUrl, clientId: "acme-pool", allowedDomains: ["acme.example"] });
    expect(JSON.stringify(set.body)).not.toContain("acme-client-secret");

    const context = await browser.newContext();
    const page = await context.newPage();
    await signInWithProvider(page, "alice@acme.example", "signed in", pool.poolId);
    expect(await page.getByRole("heading", { level: 1 }).innerText()).toBe("Acme SSO Ltd");
    await context.close();

    const wrong = await browser.newContext();
    const wrongPage = await wrong.newPage();
    await signInWithProvider(wrongPage, "mallory@evil.example", "refused", pool.poolId);
    expect(await wrongPage.getByRole("alert").innerText()).toContain("mallory@evil.example is not in a domain this pool allows (acme.example)");
    expect(await sessionCookie(wrong)).toBeUndefined();
    await wrong.close();

    // the vendor's provider signs no one into a pool, and a pool without single sign-on says so
    const plain = (await api(server, "POST", "/v1/pools", { customer: "No SSO", seats: 1 }, server.vendorToken)).body as { poolId: string };
    const none = await browser.newContext();
    const nonePage = await none.newPage();
    const res = await nonePage.goto(`${server.url}/admin/oidc/start?pool=${plain.poolId}`);
    expect(res!.status()).toBe(404);
    await none.close();
  });

  it("holds a staff member signed in with their token to their role's part of the matrix", async () => {
    const viewer = await api(server, "POST", "/v1/staff", { email: "vic@vendor.example", name: "Vic", role: "viewer" }, server.vendorToken);
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/admin`);
    await page.getByLabel("Pool admin key or vendor token").fill(viewer.body.token);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    expect(await page.getByRole("heading", { level: 1 }).innerText()).toBe("All pools");
    await page.getByLabel("Customer", { exact: true }).fill("Viewer's Own Ltd");
    await page.getByLabel("Seats", { exact: true }).fill("5");
    await page.getByRole("button", { name: "Create pool" }).click();
    expect(await page.getByRole("alert").innerText()).toBe("The viewer role may not create pools; ask an owner of the vendor's staff.");
    const pools = await api(server, "GET", "/v1/pools", undefined, server.vendorToken);
    expect(JSON.stringify(pools.body)).not.toContain("Viewer's Own Ltd");
    await context.close();
  });
});
