/**
 * The seat list in pages: the SDK's page and its iterator, and `seatkeeper seats list`
 * following `next`, with more seats than one page holds (250, pages of 100).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Transport, type CreatePoolResponse, type Seat } from "../../src/client/index.js";
import { CheckoutResponse } from "../../src/contract/index.js";
import { startLocalServer, type LocalServer } from "./local-server";
import { cliEnv, runCli } from "./cli-helpers";
import { createPool, removeTempDirs, vendor } from "./sdk-helpers";

const SEATS = 250;
let server: LocalServer;
let pool: CreatePoolResponse;
/** The users holding seats, each on their own machine. */
const users = Array.from({ length: SEATS }, (_, i) => `pager-${String(i).padStart(3, "0")}`);

beforeAll(async () => {
  server = await startLocalServer();
  pool = await createPool(server, SEATS + 10);
  // Plain checkouts over HTTP, ten at a time: 250 SDK clients would each make a config folder for nothing.
  const transport = new Transport({ url: server.url });
  for (let i = 0; i < SEATS; i += 10) {
    await Promise.all(
      users.slice(i, i + 10).map((user, j) =>
        transport.request("POST", "/v1/sessions", CheckoutResponse, {
          body: { serial: pool.serial, productKey: pool.productKey, user, machine: `PC-${i + j}` },
        }),
      ),
    );
  }
}, 300_000);
afterAll(async () => {
  await server?.dispose();
  removeTempDirs();
});

describe("the seat list in pages", () => {
  it("listSeats gives one page with the total and the next cursor; seats() follows next to the end", async () => {
    const admin = vendor(server);
    const first = await admin.listSeats(pool.poolId, { limit: 100 });
    expect(first.seats).toHaveLength(100);
    expect(first.total).toBe(SEATS);
    expect(first.next).toEqual(expect.any(String));
    const second = await admin.listSeats(pool.poolId, { limit: 100, cursor: first.next! });
    expect(second.seats).toHaveLength(100);
    expect(second.seats.map((s) => s.seatId)).not.toContain(first.seats[0]!.seatId);

    const pages: number[] = [];
    for await (const page of admin.seatPages(pool.poolId, { limit: 100 })) pages.push(page.seats.length);
    expect(pages).toEqual([100, 100, 50]);
    const all: Seat[] = [];
    for await (const seat of admin.seats(pool.poolId, { limit: 100 })) all.push(seat);
    expect(new Set(all.map((s) => s.seatId)).size).toBe(SEATS);
    expect(all.map((s) => s.user).sort()).toEqual(users);

    // Without a limit the service answers pages of 100: the iterator still reaches every seat.
    let count = 0;
    for await (const _ of admin.seats(pool.poolId)) count++;
    expect(count).toBe(SEATS);
  });

  it("filters by part of a user or machine name", async () => {
    const admin = vendor(server);
    const byUser = await admin.listSeats(pool.poolId, { q: "pager-12" });
    expect(byUser.total).toBe(10);
    expect(byUser.seats.map((s) => s.user).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `pager-12${i}`));
    expect(byUser.next).toBeNull();
    // PC-12 and PC-120 … PC-129, held by pager-012 and pager-120 … pager-129.
    const byMachine = await admin.listSeats(pool.poolId, { q: "pc-12" });
    expect(byMachine.total).toBe(11);
    expect(byMachine.seats.map((s) => s.user).sort()).toEqual(["pager-012", ...Array.from({ length: 10 }, (_, i) => `pager-12${i}`)]);
  });

  it("`seatkeeper seats list` prints every seat by following next, with the total", async () => {
    const env = cliEnv(server, { SEATKEEPER_ADMIN_TOKEN: pool.adminKey });
    const r = await runCli(["seats", "list"], env);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.split("\n").filter((l) => /^seat_\w+\s+pager-\d{3} on PC-\d+/.test(l));
    expect(rows).toHaveLength(SEATS);
    expect(new Set(rows.map((l) => /pager-\d{3}/.exec(l)![0])).size).toBe(SEATS);
    expect(r.stdout).toContain(`${SEATS} seats in use. Free one with: seatkeeper seats free SEAT --pool ${pool.poolId}`);
    expect(r.stdout).not.toContain("More seats follow");

    const json = JSON.parse((await runCli(["seats", "list", "--json"], env)).stdout) as { seats: Seat[]; total: number; next: string | null };
    expect(json.seats).toHaveLength(SEATS);
    expect(json).toMatchObject({ total: SEATS, next: null });
  });

  it("`seats list --limit` shows one page and how to get the next; --q filters", async () => {
    const env = cliEnv(server, { SEATKEEPER_ADMIN_TOKEN: pool.adminKey });
    const r = await runCli(["seats", "list", "--limit", "100"], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split("\n").filter((l) => /pager-\d{3} on PC-/.test(l))).toHaveLength(100);
    expect(r.stdout).toContain(`100 of ${SEATS} seats in use shown.`);
    const cursor = /More seats follow: seatkeeper seats list \S+ --limit 100 --cursor (\S+)/.exec(r.stdout)?.[1];
    expect(cursor).toBeDefined();
    const next = await runCli(["seats", "list", "--limit", "100", "--cursor", cursor!, "--json"], env);
    const page = JSON.parse(next.stdout) as { seats: Seat[] };
    expect(page.seats).toHaveLength(100);
    expect(r.stdout).not.toContain(page.seats[0]!.seatId);

    const q = await runCli(["seats", "list", "--q", "PC-12"], env);
    expect(q.stdout.split("\n").filter((l) => / on PC-12\d?\s/.test(l))).toHaveLength(11);
    expect(q.stdout.split("\n").filter((l) => /^seat_/.test(l))).toHaveLength(11);
    expect(q.stdout).toContain('11 seats in use matching "PC-12".');

    const bad = await runCli(["seats", "list", "--cursor", cursor!], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--cursor goes with --limit");
  });
});
