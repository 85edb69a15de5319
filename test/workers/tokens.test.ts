import { env } from "cloudflare:test";
import { SignJWT, createLocalJWKSet, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, importJWK, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { VENDOR, call, checkout, createPool, expectError, heartbeat, release, sessionStatus } from "./helpers";

const b64url = (s: string) => btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const b64urlDecode = (s: string) => atob(s.replace(/-/g, "+").replace(/_/g, "/"));

async function activeSession() {
  const pool = await createPool(3);
  const s = await checkout(pool, { user: "ann", machine: "PC-1", terminalSession: "RDP-Tcp#2" });
  expect(s.status).toBe(201);
  return { pool, ...s.body } as { pool: any; sessionId: string; token: string; seatId: string };
}

/** Every way of presenting a bad token must fail the same way, and leave the real session alone. */
async function expectRefusedEverywhere(sessionId: string, token: string | undefined) {
  for (const res of [
    await heartbeat(sessionId, token as string),
    await sessionStatus(sessionId, token as string),
    await release(sessionId, token as string),
  ]) {
    expectError(res, 401, "invalid_token");
  }
}

describe("session tokens", () => {
  it("are EdDSA JWTs with a kid and the contract's claims, verifiable with the published JWKS", async () => {
    const s = await activeSession();
    const jwks = await call("GET", "/.well-known/jwks.json");
    expect(jwks.status).toBe(200);
    expect(jwks.body.keys.length).toBeGreaterThanOrEqual(2); // the current key and the previous one
    for (const k of jwks.body.keys) expect(k.d).toBeUndefined();
    const header = decodeProtectedHeader(s.token);
    expect(header.alg).toBe("EdDSA");
    expect(header.kid).toBe("test-current");
    const { payload } = await jwtVerify(s.token, createLocalJWKSet(jwks.body), { issuer: "seatkeeper" });
    expect(payload).toMatchObject({ sub: s.sessionId, pool: s.pool.poolId, seat: s.seatId, user: "ann", machine: "PC-1", tsn: "RDP-Tcp#2" });
    expect(typeof payload.iat).toBe("number");
  });

  it("refuses a tampered payload, alg none, a key not ours, a token for another session or pool, and no token", async () => {
    const s = await activeSession();
    const other = await activeSession();
    const [h, p, sig] = s.token.split(".");
    const claims = JSON.parse(b64urlDecode(p!));

    const tampered = `${h}.${b64url(JSON.stringify({ ...claims, user: "mallory" }))}.${sig}`;
    const none = `${b64url(JSON.stringify({ alg: "none", typ: "JWT" }))}.${p}.`;
    const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
    const foreign = await new SignJWT(claims).setProtectedHeader({ alg: "EdDSA", kid: "test-current" }).sign(privateKey);
    const foreignNoKid = await new SignJWT(claims).setProtectedHeader({ alg: "EdDSA" }).sign(privateKey);
    expect((await exportJWK(privateKey)).kty).toBe("OKP");

    for (const bad of [tampered, none, foreign, foreignNoKid, "not-a-jwt", `${h}.${p}`, other.token]) {
      await expectRefusedEverywhere(s.sessionId, bad);
    }
    await expectRefusedEverywhere(s.sessionId, undefined);
    // a genuine token of another pool used on this pool's session id
    expectError(await release(s.sessionId, other.token), 401, "invalid_token");

    // the real sessions are untouched
    expect((await heartbeat(s.sessionId, s.token)).status).toBe(200);
    expect((await heartbeat(other.sessionId, other.token)).status).toBe(200);
    const seats = await call("GET", `/v1/pools/${s.pool.poolId}/seats`, { token: VENDOR });
    expect(seats.body.seats).toHaveLength(1);
  });

  it("refuses a genuine token whose session id is swapped into another path", async () => {
    const pool = await createPool(3);
    const a = (await checkout(pool, { user: "a", machine: "m" })).body;
    const b = (await checkout(pool, { user: "b", machine: "m" })).body;
    expectError(await release(b.sessionId, a.token), 401, "invalid_token");
    expect((await sessionStatus(b.sessionId, b.token)).body.active).toBe(true);
  });

  it("refuses a signature spelled another way: changed unused bits in its last base64url character", async () => {
    const s = await activeSession();
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const last = s.token.at(-1)!;
    // a 64-byte signature is 86 characters: the last carries 2 bits of it and 4 that must be zero
    const twin = alphabet[alphabet.indexOf(last) ^ 1]!;
    const respelled = s.token.slice(0, -1) + twin;
    expect(atob(respelled.split(".")[2]!.replace(/-/g, "+").replace(/_/g, "/") + "==")).toBe(
      atob(s.token.split(".")[2]!.replace(/-/g, "+").replace(/_/g, "/") + "=="),
    ); // the same bytes, as a lenient decoder reads them
    await expectRefusedEverywhere(s.sessionId, respelled);
    expect((await heartbeat(s.sessionId, s.token)).status).toBe(200);
  });
});

describe("after a signing-key rotation", () => {
  /** Signs `claims` as the retired key did, with its kid and the header `typ` given. */
  async function signedByPreviousKey(claims: Record<string, unknown>, typ: string): Promise<string> {
    const jwk = JSON.parse(env.TEST_PREVIOUS_SIGNING_KEY);
    return new SignJWT(claims).setProtectedHeader({ alg: "EdDSA", kid: jwk.kid, typ }).sign(await importJWK(jwk, "EdDSA"));
  }

  it("a session token and a queue ticket signed by the previous key still work; neither passes as the other", async () => {
    const pool = await createPool(1);
    const s = (await checkout(pool, { user: "ann", machine: "PC-1" })).body as { sessionId: string; token: string };
    const session = await signedByPreviousKey(decodeJwt(s.token), "JWT");
    expect(decodeProtectedHeader(session).kid).toBe("test-previous");
    expect((await heartbeat(s.sessionId, session)).status).toBe(200);

    // the pool is full: bob waits, and his ticket was signed before the rotation
    const queued = await call("POST", "/v1/sessions", {
      body: { serial: pool.serial, productKey: pool.productKey, user: "bob", machine: "PC-2", wait: true },
    });
    expect(queued.status, JSON.stringify(queued.body)).toBe(202);
    const claims = decodeJwt(queued.body.token);
    const ticket = await signedByPreviousKey(claims, "ticket");
    const state = await call("GET", `/v1/tickets/${queued.body.ticketId}`, { token: ticket });
    expect(state.status).toBe(200);
    expect(state.body).toMatchObject({ ticketId: queued.body.ticketId, state: "waiting", position: 1 });

    // the same claims under the other header type are refused: a ticket is no session, and the other way round
    const ticketAsJwt = await signedByPreviousKey(claims, "JWT");
    expectError(await call("GET", `/v1/tickets/${queued.body.ticketId}`, { token: ticketAsJwt }), 401, "invalid_token");
    const sessionAsTicket = await signedByPreviousKey(decodeJwt(s.token), "ticket");
    expectError(await heartbeat(s.sessionId, sessionAsTicket), 401, "invalid_token");
  });
});
