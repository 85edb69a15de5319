import { readdirSync, readFileSync, statSync } from "node:fs";
import { builtinModules } from "node:module";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidTokenError, SeatkeeperClient as BrowserClient, StorageJournal } from "../../src/client/browser.js";
import { OfflineError, SessionEndedError, type CreatePoolResponse } from "../../src/client/index.js";
import { ROOT, type LocalServer } from "./local-server";
import { cleanUp, clientFor, createPool, inUse, startServerWithPool, tempDir, uniqueUser, vendor } from "./sdk-helpers";

let server: LocalServer;
let pool: CreatePoolResponse;
beforeAll(async () => { ({ server, pool } = await startServerWithPool(3)); });
afterAll(() => cleanUp(server));

const waitFor = async (check: () => boolean, ms = 10_000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe("SeatkeeperClient against the local service", () => {
  it("checks a seat out and releases it, and the pool count follows", async () => {
    const client = clientFor(server, pool, { clientVersion: "16.0.2" });
    const seat = await client.checkout();
    expect(seat).toMatchObject({ seatShared: false, pool: { poolId: pool.poolId, seats: 3, inUse: 1 } });
    expect(client.session?.sessionId).toBe(seat.sessionId);
    expect(await inUse(server, pool.poolId)).toBe(1);

    const status = await client.status();
    expect(status).toMatchObject({ sessionId: seat.sessionId, seatId: seat.seatId, machine: "PC-TEST", clientVersion: "16.0.2", active: true });
    expect(await client.heartbeat()).toMatchObject({ active: true, pool: { inUse: 1 } });

    expect(await client.release()).toMatchObject({ released: true, seatFreed: true, pool: { inUse: 0 } });
    expect(client.session).toBeUndefined();
    expect(await inUse(server, pool.poolId)).toBe(0);
    expect(await client.release()).toEqual({ released: false });
  });

  it("sends one instance id per launch, so a repeated checkout never takes a second session", async () => {
    const client = clientFor(server, pool);
    const first = await client.checkout();
    const again = await client.checkout();
    expect(again.sessionId).toBe(first.sessionId);
    expect(await inUse(server, pool.poolId)).toBe(1);
    await client.release();

    // after a release the same launch may check out anew
    const later = await client.checkout();
    expect(later.sessionId).not.toBe(first.sessionId);
    await client.release();
  });

  it("shares the identity's seat between two launches on one PC", async () => {
    const user = uniqueUser("two-windows");
    const a = clientFor(server, pool, { user });
    const b = clientFor(server, pool, { user: user.toUpperCase() });
    const sa = await a.checkout();
    const sb = await b.checkout();
    expect(sb.seatShared).toBe(true);
    expect(sb.seatId).toBe(sa.seatId);
    expect(await a.release()).toMatchObject({ released: true, seatFreed: false });
    expect(await b.release()).toMatchObject({ released: true, seatFreed: true });
  });

  it("verifies its token offline against the cached JWKS", async () => {
    const configDir = tempDir();
    const client = clientFor(server, pool, { configDir });
    const seat = await client.checkout();
    expect(readdirSync(path.join(configDir, "jwks"))).toHaveLength(1);

    // The same user's next launch, with no network at all: verification uses the cached keys.
    const offline = clientFor(server, pool, { configDir, fetch: async () => Promise.reject(new TypeError("fetch failed")) });
    const claims = await offline.verifyToken(seat.token);
    expect(claims).toMatchObject({ sub: seat.sessionId, pool: pool.poolId, seat: seat.seatId, machine: "PC-TEST" });

    const [head, , sig] = seat.token.split(".");
    const forged = `${head}.${Buffer.from(JSON.stringify({ ...claims, seat: "seat_other" })).toString("base64url")}.${sig}`;
    await expect(offline.verifyToken(forged)).rejects.toBeInstanceOf(InvalidTokenError);

    // With no cached keys and no network, it says so rather than guessing.
    const noCache = clientFor(server, pool, { fetch: async () => Promise.reject(new TypeError("fetch failed")) });
    await expect(noCache.verifyToken(seat.token)).rejects.toBeInstanceOf(OfflineError);
    await client.release();
  });

  it("keeps the journal and key cache readable by the user alone", async () => {
    const configDir = tempDir();
    const client = clientFor(server, pool, { configDir });
    await client.checkout();
    const held = readdirSync(path.join(configDir, "held"));
    expect(held).toHaveLength(1);
    if (process.platform !== "win32") {
      expect(statSync(path.join(configDir, "held", held[0]!)).mode & 0o777).toBe(0o600);
      expect(statSync(path.join(configDir, "held")).mode & 0o777).toBe(0o700);
    }
    await client.release();
    expect(readdirSync(path.join(configDir, "held"))).toHaveLength(0);
  });
});

describe("the background heartbeat", () => {
  it("tells the application when an admin frees its seat", async () => {
    const ended: SessionEndedError[] = [];
    const client = clientFor(server, pool, { heartbeat: { intervalMs: 100, onEnded: (e) => ended.push(e) } });
    const seat = await client.checkout();
    await vendor(server).freeSeat(pool.poolId, seat.seatId);
    await waitFor(() => ended.length > 0);
    expect(ended[0]).toBeInstanceOf(SessionEndedError);
    expect(ended[0]!.reason).toBe("freed");
    expect(client.session).toBeUndefined();
  });

  it("tells the application when its pool's credentials are revoked with its session", async () => {
    const own = await createPool(server, 2);
    const ended: string[] = [];
    const client = clientFor(server, own, { heartbeat: { intervalMs: 100, onEnded: (e) => ended.push(e.reason) } });
    await client.checkout();
    await vendor(server).rotateCredentials(own.poolId, { endSessions: true });
    await waitFor(() => ended.length > 0);
    expect(ended).toEqual(["revoked"]);
  });
});

/** Every module a source file names: static, re-exported, side-effect-only, dynamic and required. */
function importedModules(source: string): string[] {
  const pattern = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)(["'`])([^"'`]+)\1/g;
  return [...source.matchAll(pattern)].map((m) => m[2]!);
}

describe("the browser entry", () => {
  it("finds every kind of import in a source file", () => {
    const source = [
      'import { a } from "./a.js";', "import type { B } from './b.js';", 'export * from "./c.js";', 'import "node:fs";',
      'const d = await import("node:path");', "const e = require('os');", 'import f, { g } from"./f.js";',
    ].join("\n");
    expect(importedModules(source)).toEqual(["./a.js", "./b.js", "./c.js", "node:fs", "node:path", "os", "./f.js"]);
  });

  it("imports no Node module, directly or through its own imports", () => {
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = readFileSync(file, "utf8");
      for (const spec of importedModules(source)) {
        const builtin = spec.startsWith("node:") || builtinModules.includes(spec.split("/")[0]!);
        expect(builtin, `${path.relative(ROOT, file)} imports ${spec}`).toBe(false);
        if (spec.startsWith(".")) visit(path.resolve(path.dirname(file), spec.replace(/\.js$/, ".ts")));
      }
    };
    visit(path.join(ROOT, "src/client/browser.ts"));
    expect([...seen].some((f) => f.includes(`${path.sep}node${path.sep}`))).toBe(false);
    expect(seen.size).toBeGreaterThan(5);
  });

  it("checks out and releases with explicit options, journalling into Web Storage a release made offline, which the next visit replays", async () => {
    const own = await createPool(server, 1);
    const store = new Map<string, string>();
    const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v), removeItem: (k: string) => void store.delete(k) };
    let online = true;
    const network: typeof fetch = (input, init) => (online ? fetch(input, init) : Promise.reject(new TypeError("fetch failed")));
    const options = { url: server.url, serial: own.serial, productKey: own.productKey, user: uniqueUser("web"), machine: "BROWSER", storage, fetch: network, retries: 0 };
    const client = new BrowserClient(options);
    const seat = await client.checkout();
    expect(seat.pool).toMatchObject({ poolId: own.poolId, inUse: 1 });

    // The tab closes while the network is down: the release waits in Web Storage, the seat is still held.
    online = false;
    expect(await client.release()).toEqual({ released: false, journaled: true });
    const kept = [...store.values()].flatMap((v) => JSON.parse(v) as { sessionId: string; token: string; cause: string }[]);
    expect(kept).toEqual([expect.objectContaining({ sessionId: seat.sessionId, token: seat.token, cause: "offline" })]);
    expect(await inUse(server, own.poolId)).toBe(1);

    // The next visit, online again, with nothing but that storage: the release goes through and the entry goes.
    online = true;
    const nextVisit = new BrowserClient(options);
    expect(await nextVisit.replayJournal()).toMatchObject({ released: [seat.sessionId] });
    expect(await inUse(server, own.poolId)).toBe(0);
    expect(await new StorageJournal(storage).pendingReleases()).toEqual([]);
  });
});
