import { spawn } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileJournal, OfflineError, type CreatePoolResponse } from "../../src/client/index.js";
import { freePort, ROOT, type LocalServer } from "./local-server";
import { cleanUp, clientFor, inUse, isolatedClient, startServerWithPool, TcpRelay, tempDir, uniqueUser } from "./sdk-helpers";

let server: LocalServer;
let pool: CreatePoolResponse;
beforeAll(async () => { ({ server, pool } = await startServerWithPool(1)); });
afterAll(() => cleanUp(server));

describe("closing while offline", () => {
  it("journals the release, and the next start releases the seat first (the pool count proves it)", async () => {
    const configDir = tempDir();
    const relay = new TcpRelay(server.port);
    await relay.open();
    const user = uniqueUser("laptop");

    // Start-up with the network up: the pool's only seat is taken.
    const first = clientFor(server, pool, { url: relay.url, configDir, user });
    const seat = await first.checkout();
    expect(await inUse(server, pool.poolId)).toBe(1);

    // The network drops; the application closes. Nothing is lost: the release is journalled.
    await relay.close();
    expect(await first.release()).toEqual({ released: false, journaled: true });
    expect(await inUse(server, pool.poolId)).toBe(1);
    const pendingDir = path.join(configDir, "pending-releases");
    const files = readdirSync(pendingDir);
    expect(files).toHaveLength(1);
    const entry = JSON.parse(readFileSync(path.join(pendingDir, files[0]!), "utf8"));
    expect(entry).toMatchObject({ sessionId: seat.sessionId, token: seat.token, url: relay.url, cause: "offline" });
    if (process.platform !== "win32") expect(statSync(path.join(pendingDir, files[0]!)).mode & 0o777).toBe(0o600);
    expect(readdirSync(pendingDir).filter((f) => f.endsWith(".tmp"))).toEqual([]);

    // A start while still offline says so plainly and keeps the journal.
    const stillOffline = clientFor(server, pool, { url: relay.url, configDir, user });
    await expect(stillOffline.checkout()).rejects.toBeInstanceOf(OfflineError);
    expect(readdirSync(pendingDir)).toHaveLength(1);

    // Someone else cannot get in while the seat is still held by the closed application.
    const colleague = clientFor(server, pool, { user: uniqueUser("colleague") });
    await expect(colleague.checkout()).rejects.toMatchObject({ code: "pool_full" });

    // Back online, the next launch releases the journalled session before it checks out.
    await relay.open();
    const next = clientFor(server, pool, { url: relay.url, configDir, user: uniqueUser("next-user") });
    const report = await next.replayJournal();
    expect(report).toEqual({ released: [seat.sessionId], dropped: [], kept: [] });
    expect(await inUse(server, pool.poolId)).toBe(0);
    expect(readdirSync(pendingDir)).toHaveLength(0);
    await relay.close();
  });

  it("does the housekeeping inside checkout, so the freed seat can be taken at once", async () => {
    const configDir = tempDir();
    const relay = new TcpRelay(server.port);
    await relay.open();
    const a = clientFor(server, pool, { url: relay.url, configDir });
    await a.checkout();
    await relay.close();
    expect((await a.release()).journaled).toBe(true);
    await relay.open();

    // The pool's only seat is held by the journalled session; checkout frees it and takes it.
    const b = clientFor(server, pool, { url: relay.url, configDir, user: uniqueUser("other") });
    const seat = await b.checkout();
    expect(seat.pool.inUse).toBe(1);
    expect(readdirSync(path.join(configDir, "pending-releases"))).toHaveLength(0);
    await b.release();
    await relay.close();
  });

  it("drops journal entries the service says have already ended", async () => {
    const configDir = tempDir();
    const a = clientFor(server, pool, { configDir });
    const seat = await a.checkout();
    await a.release();
    // As if a release had been journalled although it went through (the answer was lost).
    await new FileJournal(configDir).addPendingRelease({ url: server.url, sessionId: seat.sessionId, token: seat.token, recordedAt: new Date().toISOString(), cause: "offline" });
    const report = await clientFor(server, pool, { configDir }).replayJournal();
    expect(report).toEqual({ released: [], dropped: [seat.sessionId], kept: [] });
    expect(await new FileJournal(configDir).pendingReleases()).toEqual([]);
  });

  it("keeps entries it cannot reach and drops tokens the service refuses", async () => {
    const configDir = tempDir();
    const journal = new FileJournal(configDir);
    const closed = `http://127.0.0.1:${await freePort()}`;
    await journal.addPendingRelease({ url: closed, sessionId: "ses_unreachable", token: "x.y.z", recordedAt: new Date().toISOString(), cause: "offline" });
    await journal.addPendingRelease({ url: server.url, sessionId: "ses_forged", token: "not-a-token", recordedAt: new Date().toISOString(), cause: "offline" });
    const report = await isolatedClient({ url: server.url, configDir }).replayJournal();
    expect(report).toEqual({ released: [], dropped: ["ses_forged"], kept: ["ses_unreachable"] });
    expect((await journal.pendingReleases()).map((e) => e.sessionId)).toEqual(["ses_unreachable"]);
  });
});

describe("a crash while holding a seat", () => {
  it("is cleaned up by the next launch on the same machine", async () => {
    const configDir = tempDir();
    // A separate process checks out with the SDK, then dies without releasing (kill -9).
    const script = [
      `const { SeatkeeperClient } = await import(${JSON.stringify(path.join(ROOT, "src/client/index.ts"))});`,
      `const c = new SeatkeeperClient({ url: ${JSON.stringify(server.url)}, serial: ${JSON.stringify(pool.serial)}, productKey: ${JSON.stringify(pool.productKey)},`,
      `  user: "crasher", machine: "PC-TEST", configDir: ${JSON.stringify(configDir)}, registry: false, env: {}, policyFile: "/nonexistent/policy.json" });`,
      // it ends on its own if this test process is gone before it kills it
      `await c.checkout(); console.log("held"); setInterval(() => { try { process.kill(${process.pid}, 0); } catch { process.exit(1); } }, 250);`,
    ].join("\n");
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const exited = new Promise((r) => child.once("exit", r));
    try {
      const deadline = Date.now() + 60_000;
      while (!out.includes("held")) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`child did not check out:\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(await inUse(server, pool.poolId)).toBe(1);
    } finally {
      child.kill("SIGKILL");
      await exited;
    }

    const next = clientFor(server, pool, { configDir, user: uniqueUser("after-crash") });
    const seat = await next.checkout();
    expect(seat.pool.inUse).toBe(1); // the crashed process's seat came back, and this launch took it
    await next.release();
    expect(await inUse(server, pool.poolId)).toBe(0);
  });
});
