import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { generateKeyPair, SignJWT, decodeJwt, decodeProtectedHeader } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LeaseRefusedError, OfflineError, type CreatePoolResponse, type StoredLease } from "../../src/client/index.js";
import { startLocalServer, type LocalServer } from "./local-server";
import { clientFor, createPool, inUse, removeTempDirs, TcpRelay, tempDir, uniqueUser, vendor } from "./sdk-helpers";

const DAY = 86_400_000;
let server: LocalServer;
let pool: CreatePoolResponse;
beforeAll(async () => {
  server = await startLocalServer();
  pool = await createPool(server, 10);
  await vendor(server).updatePool(pool.poolId, { maxBorrowDays: 14 });
});
afterAll(async () => {
  await server?.dispose();
  removeTempDirs();
});

function leaseFile(configDir: string): string {
  const dir = path.join(configDir, "leases");
  const files = readdirSync(dir);
  expect(files).toHaveLength(1);
  return path.join(dir, files[0]!);
}

/** A user's laptop: its own config folder and machine id, reaching the service through a relay that can be cut. */
async function borrowedLaptop(days = 7) {
  const configDir = tempDir();
  const relay = new TcpRelay(server.port);
  await relay.open();
  const who = { url: relay.url, configDir, user: uniqueUser("planner"), machine: "LAPTOP-7", machineId: "machine-guid-A" };
  const client = clientFor(server, pool, who);
  await client.checkout();
  const borrowed = await client.borrow(days);
  await client.release(); // closing the application keeps a borrowed seat
  await relay.close();
  return { relay, who, borrowed, configDir };
}

describe("borrowing a seat to work offline", () => {
  it("borrows, starts offline with the network cut, reconnects, and returns the seat", async () => {
    const before = await inUse(server, pool.poolId);
    const { relay, who, borrowed, configDir } = await borrowedLaptop();
    expect(await inUse(server, pool.poolId)).toBe(before + 1);
    expect(JSON.parse(readFileSync(leaseFile(configDir), "utf8"))).toMatchObject({ lease: borrowed.lease, until: borrowed.until });

    const offline = await clientFor(server, pool, who).checkout();
    expect(offline).toMatchObject({ offline: true, borrowedUntil: borrowed.until, seatId: borrowed.seatId });

    // returned while offline: journalled, and the next online start hands the seat back
    const returning = clientFor(server, pool, who);
    expect(await returning.returnSeat()).toMatchObject({ returned: true, journaled: true });
    expect(await inUse(server, pool.poolId)).toBe(before + 1);
    await expect(clientFor(server, pool, who).checkout()).rejects.toBeInstanceOf(OfflineError); // no lease any more

    await relay.open();
    const online = clientFor(server, pool, who);
    const seat = await online.checkout();
    expect(seat.offline).toBeUndefined();
    await online.release();
    expect(await inUse(server, pool.poolId)).toBe(before);
    const events = await vendor(server).events(pool.poolId, { limit: 20 });
    expect(events.events.map((e) => e.type)).toContain("returned");
    await relay.close();
  });

  it("refuses a lease past its exp offline", async () => {
    const { who } = await borrowedLaptop(2);
    const later = clientFor(server, pool, { ...who, now: () => Date.now() + 3 * DAY });
    const err = await later.checkout().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LeaseRefusedError);
    expect((err as LeaseRefusedError).reason).toBe("expired");
    expect((err as Error).message).toMatch(/came back to the pool on \d+ \w+/);
  });

  it("refuses a start with the clock set back behind the latest time seen", async () => {
    const { who } = await borrowedLaptop();
    expect((await clientFor(server, pool, { ...who, now: () => Date.now() + DAY }).checkout()).offline).toBe(true);
    const setBack = clientFor(server, pool, { ...who, now: () => Date.now() + DAY / 2 });
    await expect(setBack.checkout()).rejects.toMatchObject({ reason: "clock_back" });
  });

  it("refuses an altered lease and a forged one", async () => {
    const { who, configDir } = await borrowedLaptop();
    const file = leaseFile(configDir);
    const stored = JSON.parse(readFileSync(file, "utf8")) as StoredLease;
    const [h, , sig] = stored.lease.split(".");
    const claims = decodeJwt(stored.lease);
    const longer = Buffer.from(JSON.stringify({ ...claims, exp: claims.exp! + 60 * 86_400 })).toString("base64url");
    writeFileSync(file, JSON.stringify({ ...stored, lease: `${h}.${longer}.${sig}` }));
    await expect(clientFor(server, pool, who).checkout()).rejects.toMatchObject({ reason: "invalid" });

    const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    const forged = await new SignJWT({ ...claims, exp: claims.exp! + 60 * 86_400 })
      .setProtectedHeader({ alg: "EdDSA", kid: decodeProtectedHeader(stored.lease).kid! })
      .sign(privateKey);
    writeFileSync(file, JSON.stringify({ ...stored, lease: forged }));
    await expect(clientFor(server, pool, who).checkout()).rejects.toMatchObject({ reason: "invalid" });
  });

  it("learns at the next online start that an admin freed the borrowed seat, and drops the lease", async () => {
    const { relay, who, borrowed, configDir } = await borrowedLaptop();
    await vendor(server).freeSeat(pool.poolId, borrowed.seatId);
    await relay.open();
    const online = clientFor(server, pool, who);
    await online.checkout();
    expect(readdirSync(path.join(configDir, "leases"))).toEqual([]);
    await online.release();
    await relay.close();
    await expect(clientFor(server, pool, who).checkout()).rejects.toBeInstanceOf(OfflineError);
  });

  it("does not take a lease for a session token", async () => {
    const client = clientFor(server, pool, { user: uniqueUser("tok"), machineId: "m-1" });
    await client.checkout();
    const { lease } = await client.borrow(1);
    await expect(client.verifyToken(lease)).rejects.toMatchObject({ code: "invalid_token" });
    expect((await client.returnSeat()).released).toBe(true);
  });

  it("refuses a lease copied to another machineId", async () => {
    const { who } = await borrowedLaptop();
    const copy = clientFor(server, pool, { ...who, machineId: "machine-guid-B" });
    await expect(copy.checkout()).rejects.toMatchObject({ reason: "other_machine" });
    expect((await clientFor(server, pool, who).checkout()).offline).toBe(true);
  });
});
