import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ClientVersionError, CredentialsRevokedError, ForbiddenError, InvalidCredentialsError, InvalidRequestError, InvalidTokenError,
  NotFoundError, OfflineError, PoolFullError, RateLimitedError, SeatkeeperAdmin, SeatkeeperError, SessionEndedError, UnauthorizedError,
  type CreatePoolResponse,
} from "../../src/client/index.js";
import { inOneRateWindow } from "../rate-window";
import { freePort, type LocalServer } from "./local-server";
import { cleanUp, clientFor, createPool, startServerWithPool, uniqueUser, vendor } from "./sdk-helpers";

let server: LocalServer;
let pool: CreatePoolResponse;
beforeAll(async () => { ({ server, pool } = await startServerWithPool(1)); });
afterAll(() => cleanUp(server));

/** The error a promise rejects with. */
async function failure(p: Promise<unknown>): Promise<SeatkeeperError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SeatkeeperError);
  return err as SeatkeeperError;
}

/** What an application does with them: a switch on the stable code. */
function whatToTellTheUser(err: SeatkeeperError): string {
  switch (err.code) {
    case "pool_full":
      return "all seats in use";
    case "offline":
      return "no internet";
    default:
      return err.code;
  }
}

describe("each error class, from a real answer of the service", () => {
  it("PoolFullError carries the pool's seats and how many are in use", async () => {
    const holder = clientFor(server, pool);
    await holder.checkout();
    const err = await failure(clientFor(server, pool).checkout());
    expect(err).toBeInstanceOf(PoolFullError);
    expect(err).toMatchObject({ code: "pool_full", status: 409, seats: 1, inUse: 1 });
    expect(whatToTellTheUser(err)).toBe("all seats in use");
    await holder.release();
  });

  it("OfflineError when nothing answers, told apart from a full pool", async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const err = await failure(clientFor(server, pool, { url: closed }).checkout());
    expect(err).toBeInstanceOf(OfflineError);
    expect(err).toMatchObject({ code: "offline", status: undefined, retryable: true });
    expect(err.message).toMatch(/connection refused/);
    expect(whatToTellTheUser(err)).toBe("no internet");
  });

  it("InvalidCredentialsError for a wrong product key", async () => {
    const err = await failure(clientFor(server, pool, { productKey: "AAAAA-BBBBB-CCCCC-DDDDD-EEEEE" }).checkout());
    expect(err).toBeInstanceOf(InvalidCredentialsError);
    expect(err).toMatchObject({ code: "invalid_credentials", status: 401 });
  });

  it("CredentialsRevokedError for a pair that was replaced", async () => {
    const own = await createPool(server, 2);
    await vendor(server).rotateCredentials(own.poolId);
    const err = await failure(clientFor(server, own).checkout());
    expect(err).toBeInstanceOf(CredentialsRevokedError);
    expect(err).toMatchObject({ code: "credentials_revoked", status: 403 });
    expect(err.message).toMatch(/new serial number and product key/);
  });

  it("ClientVersionError names the minimum version", async () => {
    const own = await createPool(server, 2, { minClientVersion: "16.1" });
    const err = await failure(clientFor(server, own, { clientVersion: "16.0.2" }).checkout());
    expect(err).toBeInstanceOf(ClientVersionError);
    expect(err).toMatchObject({ code: "client_version_unsupported", status: 426, minClientVersion: "16.1" });
    const ok = clientFor(server, own, { clientVersion: "16.1.0" });
    await ok.checkout();
    await ok.release();
  });

  it("SessionEndedError with the reason, once an admin freed the seat", async () => {
    const own = await createPool(server, 2);
    const client = clientFor(server, own);
    const seat = await client.checkout();
    await vendor(server).freeSeat(own.poolId, seat.seatId);
    const err = await failure(client.heartbeat());
    expect(err).toBeInstanceOf(SessionEndedError);
    expect(err).toMatchObject({ code: "session_ended", status: 410, reason: "freed" });
  });

  it("RateLimitedError with the time to retry, on the 11th bad product key in a minute from one address", async () => {
    let tries = 0;
    const { address, errors } = await inOneRateWindow(async () => {
      const address = `203.0.113.${1 + ((process.pid + tries++) % 250)}`;
      const wrong = clientFor(server, pool, { productKey: "AAAAA-BBBBB-CCCCC-DDDDD-EEEEE", headers: { "CF-Connecting-IP": address } });
      const errors: SeatkeeperError[] = [];
      for (let i = 0; i < 11; i++) errors.push(await failure(wrong.checkout()));
      return { address, errors };
    });
    expect(errors.map((e) => e.code)).toEqual([...Array(10).fill("invalid_credentials"), "rate_limited"]);
    expect(errors.slice(0, 10).every((e) => e instanceof InvalidCredentialsError)).toBe(true);
    expect(errors[10]).toBeInstanceOf(RateLimitedError);
    const limited = errors[10] as RateLimitedError;
    expect(limited).toMatchObject({ code: "rate_limited", status: 429 });
    expect(limited.retryAfterSeconds).toBeGreaterThan(0);
    expect(limited.retryAt.getTime()).toBeGreaterThan(Date.now());

    // The limit never refuses valid credentials, even from the same address.
    const good = clientFor(server, pool, { headers: { "CF-Connecting-IP": address } });
    await good.checkout();
    await good.release();
  });

  it("InvalidTokenError for a token of another session", async () => {
    const a = clientFor(server, pool);
    const seat = await a.checkout();
    const b = clientFor(server, pool);
    b.attach({ sessionId: "ses_someoneelse", token: seat.token, url: server.url });
    const err = await failure(b.status());
    expect(err).toBeInstanceOf(InvalidTokenError);
    expect(err).toMatchObject({ code: "invalid_token", status: 401 });
    await a.release();
  });

  it("InvalidRequestError lists the fields at fault", async () => {
    const err = await failure(clientFor(server, pool, { user: "   " }).checkout());
    expect(err).toBeInstanceOf(InvalidRequestError);
    expect((err as InvalidRequestError).issues.map((i) => i.path)).toContain("user");
  });

  it("UnauthorizedError, ForbiddenError and NotFoundError from the admin API", async () => {
    const wrong = new SeatkeeperAdmin({ url: server.url, token: "not-the-vendor-token", headers: { "CF-Connecting-IP": "198.51.100.7" } });
    expect(await failure(wrong.listPools())).toBeInstanceOf(UnauthorizedError);

    const other = await createPool(server, 1);
    const admin = new SeatkeeperAdmin({ url: server.url, token: other.adminKey });
    const forbidden = await failure(admin.getPool(pool.poolId));
    expect(forbidden).toBeInstanceOf(ForbiddenError);
    expect(forbidden.status).toBe(403);
    expect((await admin.getPool(other.poolId)).poolId).toBe(other.poolId);

    const missing = await failure(vendor(server).getPool("G000000000000000"));
    expect(missing).toBeInstanceOf(NotFoundError);
  });

  it("retries a checkout with the same instance, so a retry never takes a second seat", async () => {
    const own = await createPool(server, 2);
    let calls = 0;
    // The first answer is lost on the way back: the service made the session, the client never heard.
    const lossy: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (++calls === 1) throw new TypeError("fetch failed");
      return res;
    };
    const client = clientFor(server, own, { fetch: lossy, retries: 2, user: uniqueUser("retry") });
    const seat = await client.checkout();
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(seat.pool.inUse).toBe(1);
    expect((await vendor(server).listSeats(own.poolId)).seats[0]!.sessions).toHaveLength(1);
    await client.release();
  });
});
