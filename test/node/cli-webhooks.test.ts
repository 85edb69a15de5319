/**
 * `seatkeeper webhooks add|list|remove|deliveries` and `seatkeeper advice`, run as the real
 * command against the real local server, delivering to a real receiver (a node http server
 * here): what a user reads, the --json shapes, and clear refusals.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, checkout, createPool, type Checkout } from "./dashboard-browser";
import { cliEnv, expectNoStackTrace, runCli } from "./cli-helpers";
import { startLocalServer, type LocalServer } from "./local-server";
import { removeTempDirs } from "./sdk-helpers";
import { startReceiver, untilFound, verified } from "./webhook-receiver";

let server: LocalServer;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  server = await startLocalServer();
  // /down answers 500 to everything; any other path 200
  receiver = await startReceiver((path) => (path === "/down" ? 500 : 200));
});
afterAll(async () => {
  await server?.dispose();
  await receiver?.close();
  removeTempDirs();
});

describe("seatkeeper webhooks", () => {
  it("adds a webhook showing its secret once, lists it as a table, and shows a freed seat's delivery as delivered", async () => {
    const pool = await createPool(server, "Cli Hooks Ltd", 3);
    const ann = (await checkout(server, pool, { user: "ann", machine: "PC-1" })).body as Checkout;
    const env = cliEnv(server, { SEATKEEPER_ADMIN_TOKEN: pool.adminKey });

    const empty = await runCli(["webhooks", "list"], env);
    expect(empty.code).toBe(0);
    expect(empty.stdout).toBe(`Pool ${pool.poolId} has no webhooks. Add one with: seatkeeper webhooks add URL --events TYPE[,TYPE…]\n`);

    const add = await runCli(["webhooks", "add", `${receiver.url}/cli`, "--events", "seat.freed, pool.denied"], env);
    expect(add.code).toBe(0);
    const [first, second, third] = add.stdout.trimEnd().split("\n");
    expect(first).toMatch(new RegExp(`^Webhook (wh_\\w+) sends seat\\.freed, pool\\.denied to ${receiver.url}/cli\\.$`));
    const webhookId = /^Webhook (wh_\w+)/.exec(first!)![1]!;
    expect(second).toMatch(/^Signing secret \(shown this once; copy it now\): whsec_[A-Za-z0-9+/]+=*$/);
    expect(third).toBe("Your receiver verifies each delivery's webhook-signature header with it (Standard Webhooks).");
    const secret = second!.split(": ")[1]!;

    const list = await runCli(["webhooks", "list"], env);
    expect(list.code).toBe(0);
    const rows = list.stdout.trimEnd().split("\n");
    expect(rows[0]).toMatch(/^WEBHOOK\s+URL\s+EVENTS\s+CREATED$/);
    expect(rows.slice(1)).toEqual([expect.stringMatching(new RegExp(`^${webhookId}  ${receiver.url}/cli  seat\\.freed,pool\\.denied  \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC$`))]);
    expect(list.stdout).not.toContain(secret.slice(6));
    const listed = JSON.parse((await runCli(["webhooks", "list", "--json"], env)).stdout);
    expect(listed).toEqual({ webhooks: [{ webhookId, url: `${receiver.url}/cli`, events: ["seat.freed", "pool.denied"], createdAt: expect.any(String) }] });

    // the event: the admin frees ann's seat
    expect((await runCli(["seats", "free", ann.seatId], env)).code).toBe(0);
    const delivery = await untilFound("the delivery", () => receiver.received.find((r) => r.path === "/cli"));
    expect(verified(secret, delivery)).toMatchObject({ type: "seat.freed", data: { poolId: pool.poolId, user: "ann" } });

    const log = await untilFound("the delivery recorded", async () => {
      const r = await runCli(["webhooks", "deliveries", webhookId], env);
      return r.stdout.includes("delivered") ? r : undefined;
    });
    expect(log.code).toBe(0);
    const lines = log.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^WHEN \(UTC\)\s+EVENT\s+STATUS\s+ATTEMPTS\s+LAST ERROR$/);
    expect(lines.slice(1)).toEqual([expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d  seat\.freed  delivered  1$/)]);
    const json = JSON.parse((await runCli(["webhooks", "deliveries", webhookId, "--json"], env)).stdout);
    expect(json).toEqual({ deliveries: [{ id: delivery.headers["webhook-id"], type: "seat.freed", at: expect.any(String), attempts: 1, status: "delivered", lastError: null }] });
  });

  it("prints the new webhook with its secret as JSON, and shows a receiver answering 500 as pending with its error", async () => {
    const pool = await createPool(server, "Cli Flaky Ltd", 1);
    // the vendor names the pool
    const env = cliEnv(server, { SEATKEEPER_ADMIN_TOKEN: server.vendorToken });
    const add = await runCli(["webhooks", "add", `${receiver.url}/down`, "--events", "credentials.rotated", "--pool", pool.poolId, "--json"], env);
    expect(add.code).toBe(0);
    const w = JSON.parse(add.stdout);
    expect(w).toEqual({ webhookId: expect.stringMatching(/^wh_/), url: `${receiver.url}/down`, events: ["credentials.rotated"], createdAt: expect.any(String), secret: expect.stringMatching(/^whsec_/) });
    expect((await api(server, "POST", `/v1/pools/${pool.poolId}/credentials`, {}, pool.adminKey)).status).toBe(201);
    const log = await untilFound("the first attempt recorded", async () => {
      const r = await runCli(["webhooks", "deliveries", w.webhookId, "--pool", pool.poolId], env);
      return r.stdout.includes("HTTP 500") ? r : undefined;
    });
    expect(log.stdout.trimEnd().split("\n")[1]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d  credentials\.rotated  pending  1\s+HTTP 500$/);
  });

  it("refuses a URL that is not https, an event type it does not know, and a webhook that is not there, in words", async () => {
    const pool = await createPool(server, "Cli Careful Ltd", 1);
    const env = cliEnv(server, { SEATKEEPER_ADMIN_TOKEN: pool.adminKey });

    const ftp = await runCli(["webhooks", "add", "ftp://files.example.com/hook", "--events", "seat.freed"], env);
    expect(ftp.code).toBe(2); // bad input, as every invalid_request
    expect(ftp.stderr).toBe("seatkeeper: A webhook URL must use https.\n");
    expectNoStackTrace(ftp);
    const junk = await runCli(["webhooks", "add", "not a url", "--events", "seat.freed"], env);
    expect(junk.code).toBe(2);
    expect(junk.stderr).toBe("seatkeeper: The webhook URL is not a valid absolute URL.\n");

    const unknown = await runCli(["webhooks", "add", `${receiver.url}/x`, "--events", "seat.freed,pool.exploded"], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("--events is a comma-separated list of: pool.usage_high, pool.denied, seat.freed, seat.reclaimed, credentials.rotated, pool.expiring, queue.waiting.");
    expectNoStackTrace(unknown);
    expect(JSON.parse((await runCli(["webhooks", "list", "--json"], env)).stdout)).toEqual({ webhooks: [] });

    const gone = await runCli(["webhooks", "remove", "wh_nosuchwebhook"], env);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/^seatkeeper: No webhook with this id\./);
    expectNoStackTrace(gone);
  });

  it("removes a webhook", async () => {
    const pool = await createPool(server, "Cli Tidy Ltd", 1);
    const env = cliEnv(server, { SEATKEEPER_ADMIN_TOKEN: pool.adminKey });
    const w = JSON.parse((await runCli(["webhooks", "add", `${receiver.url}/tidy`, "--events", "seat.freed", "--json"], env)).stdout);
    const removed = await runCli(["webhooks", "remove", w.webhookId], env);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toBe(`Removed webhook ${w.webhookId}.\n`);
    expect(JSON.parse((await runCli(["webhooks", "remove", w.webhookId, "--json"], env)).stderr).error.code).toBe("not_found");
    expect((await api(server, "GET", `/v1/pools/${pool.poolId}/webhooks`, undefined, pool.adminKey)).body.webhooks).toEqual([]);
  });
});

describe("seatkeeper webhooks --vendor", () => {
  it("adds, lists and removes the vendor's webhooks for every pool; each pool's deliveries to one are read with --pool", async () => {
    const env = cliEnv(server, { SEATKEEPER_ADMIN_TOKEN: server.vendorToken });
    const empty = await runCli(["webhooks", "list", "--vendor"], env);
    expect(empty.stdout).toBe("There are no webhooks for every pool. Add one with: seatkeeper webhooks add URL --events TYPE[,TYPE…] --vendor\n");

    const add = await runCli(["webhooks", "add", `${receiver.url}/everywhere`, "--events", "seat.freed", "--vendor"], env);
    expect(add.code).toBe(0);
    expect(add.stdout).toMatch(new RegExp(`^Webhook wh_\\w+ sends seat\\.freed of every pool to ${receiver.url}/everywhere\\.\n`));
    const webhookId = /^Webhook (wh_\w+)/.exec(add.stdout)![1]!;
    const secret = /: (whsec_\S+)$/m.exec(add.stdout)![1]!;
    const list = await runCli(["webhooks", "list", "--vendor"], env);
    expect(list.stdout.trimEnd().split("\n").slice(1)).toEqual([expect.stringMatching(new RegExp(`^${webhookId}  ${receiver.url}/everywhere  seat\\.freed  `))]);
    expect(JSON.parse((await runCli(["webhooks", "list", "--vendor", "--json"], env)).stdout).webhooks).toEqual([
      { webhookId, url: `${receiver.url}/everywhere`, events: ["seat.freed"], createdAt: expect.any(String) },
    ]);

    // any pool's event reaches it, signed with its secret
    const pool = await createPool(server, "Cli Everywhere Ltd", 1);
    const held = (await checkout(server, pool, { user: "wen", machine: "PC-9" })).body as Checkout;
    expect((await runCli(["seats", "free", held.seatId, "--pool", pool.poolId], env)).code).toBe(0);
    const delivery = await untilFound("the delivery", () => receiver.received.find((r) => r.path === "/everywhere" && r.body.includes(pool.poolId)));
    expect(verified(secret, delivery)).toMatchObject({ type: "seat.freed", data: { poolId: pool.poolId, user: "wen" } });
    const log = await untilFound("the delivery recorded", async () => {
      const r = await runCli(["webhooks", "deliveries", webhookId, "--pool", pool.poolId], env);
      return r.stdout.includes("delivered") ? r : undefined;
    });
    expect(log.stdout.trimEnd().split("\n")[1]).toMatch(/  seat\.freed  delivered  1$/);

    // the pool's admin key is not a vendor credential
    const admin = await runCli(["webhooks", "list", "--vendor"], cliEnv(server, { SEATKEEPER_ADMIN_TOKEN: pool.adminKey }));
    expect(admin.code).toBe(1);
    expectNoStackTrace(admin);
    expect(admin.stderr).toMatch(/^seatkeeper: A pool admin key cannot do this; it needs the vendor token\./);
    const both = await runCli(["webhooks", "list", "--vendor", "--pool", pool.poolId], env);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("--vendor is for the webhooks of every pool: leave out --pool.");

    const removed = await runCli(["webhooks", "remove", webhookId, "--vendor"], env);
    expect(removed.stdout).toBe(`Removed webhook ${webhookId}.\n`);
    expect(JSON.parse((await runCli(["webhooks", "list", "--vendor", "--json"], env)).stdout)).toEqual({ webhooks: [] });
  });
});

describe("seatkeeper advice", () => {
  it("says how many seats to have, why, and on what figures; --json gives the contract's shape", async () => {
    const pool = await createPool(server, "Cli Roomy Ltd", 10);
    for (const [user, machine] of [["ann", "PC-1"], ["bob", "PC-2"]] as const) expect((await checkout(server, pool, { user, machine })).status).toBe(201);
    const env = cliEnv(server, { SEATKEEPER_ADMIN_TOKEN: pool.adminKey });

    const r = await runCli(["advice"], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        "Recommended: 3 seats (now 10).",
        "Use never went above 2 of 10 seats in 30 days, and no one was turned away. 3 seats would have served everyone with one to spare.",
        "Over 30 days: peak 2 in use, 0 hours at full use, 0 people turned away in 0 hours.",
        "",
      ].join("\n"),
    );

    const json = JSON.parse((await runCli(["advice", "--days", "7", "--json"], env)).stdout);
    expect(json).toEqual({
      seats: 10, recommendedSeats: 3,
      basis: { days: 7, peakInUse: 2, p95InUse: 2, hoursAtFull: 0, denials: 0, deniedHours: 0, waits: 0, maxWaitSeconds: 0 },
      message: expect.stringContaining("in 7 days"),
    });

    // the vendor names the pool
    const vendor = await runCli(["advice", "--pool", pool.poolId], cliEnv(server, { SEATKEEPER_ADMIN_TOKEN: server.vendorToken }));
    expect(vendor.stdout.split("\n")[0]).toBe("Recommended: 3 seats (now 10).");

    const bad = await runCli(["advice", "--days", "100"], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--days");
    expectNoStackTrace(bad);
  });
});
