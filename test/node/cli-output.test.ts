/**
 * Nothing the CLI prints can forge a row or act on the terminal: names stored before 1.1
 * may hold line breaks, C1 controls and bidi controls (the service refuses new ones, so a
 * small local HTTP server answers with such names instead), and every table, message and
 * error passes through one function, `printable`.
 */
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasControl, jsonText, printable, table } from "../../src/cli/output.js";
import { cliEnv, expectNoStackTrace, runCli, type CliResult } from "./cli-helpers";
import { removeTempDirs } from "./sdk-helpers";

/** Everything a terminal would act on but a line break, which only the CLI itself may print. */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/;

const POOL = "GK3M9Q2XB4TN8W1R";
/** A customer name that, printed raw, would add a pool row of its own. */
const FORGER = "\nGFORGED000000001  Evil Corp  0  999";
const REVERSED = "\u202etxt.exe";
const CSI = "Acme\u009b2J\u001b[31m";
const T = "2026-11-27T14:03:00.000Z";

const answers: Record<string, unknown> = {
  "GET /v1/pools": { pools: [{ poolId: POOL, customer: FORGER, seats: 5, inUse: 1 }, { poolId: "GK3M9Q2XB4TN8W1S", customer: REVERSED, seats: 2, inUse: 0 }], next: null },
  [`GET /v1/pools/${POOL}`]: {
    poolId: POOL, customer: CSI, seats: 5, inUse: 1, serial: "SK-GK3M-9Q2X-B4TN-8W1R-1H", minClientVersion: null, staleAfterHours: null,
    maxSessionsPerSeat: 10, maxAddressesPerSeat: 3, refuseWidelySharedSeats: false, createdAt: T,
  },
  [`GET /v1/pools/${POOL}/seats`]: {
    seats: [{
      seatId: "seat_1", user: "jsmith\r\nseat_2  admin on DC-01", machine: "PC\u20280042", terminalSession: "RDP\u2066#1", since: T, lastSeenAt: T,
      sessions: [{ sessionId: "ses_1", clientVersion: null, startedAt: T, lastSeenAt: T }], sharedFromAddresses: true,
    }],
    next: null,
    total: 1,
  },
  [`GET /v1/pools/${POOL}/events`]: {
    events: [{ id: "7", at: T, type: "denied", actor: "admin:\u001b]0;pwned\u0007", seatId: null, sessionId: null, user: "a\nb", machine: "m", terminalSession: null, details: { note: "x\u0085y" } }],
    next: null,
  },
  [`GET /v1/pools/${POOL}/usage`]: { bucket: "hour", buckets: [{ start: T, peakInUse: 1, checkouts: 1, denials: 0 }] },
  "GET /v1/sessions/ses_1": {
    sessionId: "ses_1", seatId: "seat_1", user: "eve\u202e", machine: "PC\n\nFORGED", terminalSession: null, clientVersion: null, startedAt: T, lastSeenAt: T, active: true,
  },
};

let server: Server;
let url: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    const key = `${req.method} ${new URL(req.url ?? "/", "http://x").pathname}`;
    const body = key === `PATCH /v1/pools/${POOL}`
      ? { error: { code: "forbidden", message: "Refused.\nseatkeeper: all good\u001b[2K", details: {} } }
      : answers[key] ?? { error: { code: "not_found", message: `No route ${key}` } };
    res.writeHead("error" in (body as object) ? (key.startsWith("PATCH") ? 403 : 404) : 200, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  removeTempDirs();
});

function expectClean(r: CliResult): void {
  expect(r.stdout).not.toMatch(RAW_CONTROL);
  expect(r.stderr).not.toMatch(RAW_CONTROL);
  expectNoStackTrace(r);
}

const admin = () => cliEnv(undefined, { SEATKEEPER_URL: url, SEATKEEPER_ADMIN_TOKEN: "vendor-token-for-the-crafted-server" });

describe("printable, the one function all output goes through", () => {
  it("escapes C0, C1, DEL, the line and paragraph separators and bidi controls, and nothing else", () => {
    expect(printable("a\nb\rc\td")).toBe("a\\nb\\rc\\td");
    expect(printable("\u0000\u001b[31m\u007f")).toBe("\\u0000\\u001b[31m\\u007f");
    expect(printable("\u0085\u009b")).toBe("\\u0085\\u009b");
    expect(printable("x\u2028y\u2029z")).toBe("x\\u2028y\\u2029z");
    expect(printable("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")).toBe(
      "\\u202a\\u202b\\u202c\\u202d\\u202e\\u2066\\u2067\\u2068\\u2069\\u200e\\u200f\\u061c",
    );
    // Letters of any script, accents, emoji, and Windows paths stay as they are.
    for (const plain of ["Müller GmbH", "株式会社", "مرحبا", "José 👩‍💻", "C:\\ProgramData\\Seatkeeper"]) expect(printable(plain)).toBe(plain);
    expect(printable(printable(FORGER))).toBe(printable(FORGER)); // escaping twice changes nothing more
    expect(hasControl("IT desk\n")).toBe(true);
    expect(hasControl("IT desk, ext. 4242")).toBe(false);
  });

  it("keeps the columns of a table aligned and one row per line", () => {
    const lines = table(["POOL", "CUSTOMER"], [["G1", FORGER], ["G2", "Plain"]]);
    expect(lines).toHaveLength(3);
    expect(lines[1]).toBe(`G1    ${printable(FORGER)}`);
    expect(lines[2]).toBe("G2    Plain");
  });

  it("writes JSON whose text holds no control character, and whose value is unchanged", () => {
    const data = { customer: `${FORGER}${REVERSED}${CSI}\u2028` };
    const text = jsonText(data);
    expect(text).not.toMatch(RAW_CONTROL);
    expect(JSON.parse(text)).toEqual(data);
  });
});

describe("each command's output, from a service that answers with such names", () => {
  it("pools list: a customer name with a leading newline does not forge a row", async () => {
    const r = await runCli(["pools", "list"], admin());
    expect(r.code, r.stderr).toBe(0);
    expectClean(r);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines.filter((l) => l.startsWith("GFORGED"))).toEqual([]);
    expect(lines[1]).toBe(`${POOL}  ${printable(FORGER)}  1       5`);
    expect(lines[2]).toContain("\\u202etxt.exe");

    const json = await runCli(["pools", "list", "--json"], admin());
    expectClean(json);
    expect(JSON.parse(json.stdout).pools[1].customer).toBe(REVERSED);
  });

  it("pools show and usage: the name in a message line", async () => {
    for (const args of [["pools", "show", POOL], ["usage", "--pool", POOL]]) {
      const r = await runCli(args, admin());
      expect(r.code, r.stderr).toBe(0);
      expectClean(r);
      expect(r.stdout).toContain("Acme\\u009b2J\\u001b[31m");
    }
  });

  it("seats list, events and status: users, machines, actors and details", async () => {
    const seats = await runCli(["seats", "list", POOL], admin());
    expect(seats.code, seats.stderr).toBe(0);
    expectClean(seats);
    expect(seats.stdout.split("\n").filter((l) => l.startsWith("seat_"))).toHaveLength(1);
    expect(seats.stdout).toContain("jsmith\\r\\nseat_2  admin on DC-01 on PC\\u20280042 (RDP\\u2066#1)");
    expect(seats.stdout).toContain("shared from many addresses");

    const events = await runCli(["events", "--pool", POOL], admin());
    expect(events.code, events.stderr).toBe(0);
    expectClean(events);
    expect(events.stdout.trimEnd().split("\n")).toHaveLength(2);
    expect(events.stdout).toContain("a\\nb on m");
    expect(events.stdout).toContain("admin:\\u001b]0;pwned\\u0007");
    expect(events.stdout).toContain("note=x\\u0085y");

    // A session token's claims are read without verification to find the session; the service answers its status.
    const claims = { iss: url, sub: "ses_1", pool: POOL, seat: "seat_1", user: "eve", machine: "PC", iat: 1_800_000_000 };
    const token = ["eyJhbGciOiJFZERTQSJ9", Buffer.from(JSON.stringify(claims)).toString("base64url"), "c2ln"].join(".");
    const status = await runCli(["status", "--session-token", token], cliEnv(undefined, { SEATKEEPER_URL: url }));
    expect(status.code, status.stderr).toBe(0);
    expectClean(status);
    expect(status.stdout.trimEnd().split("\n")).toHaveLength(2);
    expect(status.stdout).toContain("eve\\u202e on PC\\n\\nFORGED");
  });

  it("config: a setting holding a line break is shown escaped", async () => {
    const r = await runCli(["config"], cliEnv(undefined, { SEATKEEPER_URL: url, SEATKEEPER_CONTACT: "IT desk\r\nserial number  SK-FAKE" }));
    expect(r.code, r.stderr).toBe(0);
    expectClean(r);
    expect(r.stdout).toContain("IT desk\\r\\nserial number  SK-FAKE");
    expect(r.stdout.split("\n").filter((l) => l.startsWith("serial number"))).toHaveLength(1);
  });

  it("errors: the service's message cannot add a line or clear the screen", async () => {
    const r = await runCli(["pools", "set", POOL, "--customer", "New name"], admin());
    expect(r.code).toBe(1);
    expectClean(r);
    expect(r.stderr.split("\n")[0]).toBe("seatkeeper: Refused.\\nseatkeeper: all good\\u001b[2K");
    const json = await runCli(["pools", "set", POOL, "--customer", "New name", "--json"], admin());
    expectClean(json);
    expect(JSON.parse(json.stderr).error.message).toBe("Refused.\nseatkeeper: all good\u001b[2K");
  });
});
