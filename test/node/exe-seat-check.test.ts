/**
 * The check a program started by `seatkeeper run` makes at start-up, that it runs under a
 * live seat: the Python example (examples/verify_seat.py, Debian's python3-jwt) and
 * `seatkeeper verify-token`, against a local service.
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CreatePoolResponse } from "../../src/client/index.js";
import { ROOT, startLocalServer, type LocalServer } from "./local-server";
import { BIN, cliEnv, expectNoStackTrace, runCli } from "./cli-helpers";
import { clientFor, createPool, inUse, removeTempDirs, TcpRelay, tempDir } from "./sdk-helpers";

const exec = promisify(execFile);
// Debian's interpreter, where python3-jwt is installed (a python3 earlier on PATH may lack it).
const PYTHON = "/usr/bin/python3";
const EXAMPLE = path.join(ROOT, "examples", "verify_seat.py");

let server: LocalServer;
let pool: CreatePoolResponse;

beforeAll(async () => {
  await exec(PYTHON, ["-c", "import jwt"]).catch(() => {
    throw new Error("Debian's python3-jwt is not installed: run .ci/run, or apt-get install -y python3-jwt, then npm test again.");
  });
  server = await startLocalServer();
  pool = await createPool(server, 1);
});

afterAll(async () => {
  await server?.dispose();
  removeTempDirs();
});

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

async function python(env: Record<string, string>): Promise<Ran> {
  try {
    const { stdout, stderr } = await exec(PYTHON, [EXAMPLE], { env, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? String(err) };
  }
}

/** A session held through the SDK by this machine's own user, as `seatkeeper run` would take it. */
async function session(url = server.url) {
  const client = clientFor(server, pool, { user: os.userInfo().username, machine: os.hostname(), url });
  const seat = await client.checkout();
  return { client, seat };
}

/** The token with one character of its signature changed. */
function forged(token: string): string {
  const last = token.at(-2) === "A" ? "B" : "A";
  return token.slice(0, -2) + last + token.slice(-1);
}

describe("the Python start-up check (examples/verify_seat.py)", () => {
  it("passes under `seatkeeper run`, and caches the service's keys", async () => {
    const cache = path.join(tempDir(), "jwks.json");
    const env = cliEnv(server, { SEATKEEPER_SERIAL: pool.serial, SEATKEEPER_PRODUCT_KEY: pool.productKey, EXAMPLE_JWKS_CACHE: cache });
    const r = await runCli(["run", "--", PYTHON, EXAMPLE], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Licensed: seat \S+ of pool \S+ for \S+ on \S+ \(active\)\.$/m);
    expect(JSON.parse(readFileSync(cache, "utf8"))).toMatchObject({ url: server.url, jwks: { keys: [expect.objectContaining({ kty: "OKP", crv: "Ed25519" })] } });
    expect(await inUse(server, pool.poolId)).toBe(0);
  });

  it("starts offline with the cached keys, and refuses when none are cached", async () => {
    const cache = path.join(tempDir(), "jwks.json");
    const relay = new TcpRelay(server.port);
    await relay.open();
    const { client, seat } = await session(relay.url);
    try {
      const env = { PATH: process.env.PATH ?? "", SEATKEEPER_URL: relay.url, SEATKEEPER_SESSION_TOKEN: seat.token, EXAMPLE_JWKS_CACHE: cache };
      expect((await python(env)).stdout).toContain("(active)");
      await relay.close();
      const offline = await python(env);
      expect(offline.code, offline.stderr).toBe(0);
      expect(offline.stdout).toContain("(offline)");
      const noCache = await python({ ...env, EXAMPLE_JWKS_CACHE: path.join(tempDir(), "none.json") });
      expect(noCache.code).toBe(1);
      expect(noCache.stderr).toMatch(/^Not licensed: cannot check the seat: the service at http:\/\/127\.0\.0\.1:\d+ cannot be reached/);
    } finally {
      await relay.open();
      await client.release();
      await relay.close();
    }
  });

  it("refuses a forged token, no token, and a session that has ended", async () => {
    const { client, seat } = await session();
    const env = { PATH: process.env.PATH ?? "", SEATKEEPER_URL: server.url, SEATKEEPER_SESSION_TOKEN: seat.token, EXAMPLE_JWKS_CACHE: path.join(tempDir(), "jwks.json") };
    const fake = await python({ ...env, SEATKEEPER_SESSION_TOKEN: forged(seat.token) });
    expect(fake.code).toBe(1);
    expect(fake.stderr).toContain("Not licensed: the session token does not verify: Signature verification failed");
    const none = await python({ PATH: env.PATH });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("not started by `seatkeeper run`");
    await client.release();
    const ended = await python(env);
    expect(ended.code).toBe(1);
    expect(ended.stderr).toContain("Not licensed: the session has ended: its seat is no longer held.");
  });

  it("refuses a token issued to another machine", async () => {
    const client = clientFor(server, pool, { machine: "SOMEONE-ELSES-PC" });
    const seat = await client.checkout();
    const r = await python({ PATH: process.env.PATH ?? "", SEATKEEPER_URL: server.url, SEATKEEPER_SESSION_TOKEN: seat.token, EXAMPLE_JWKS_CACHE: path.join(tempDir(), "j.json") });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the session token was issued to \S+ on SOMEONE-ELSES-PC, not to/);
    await client.release();
  });
});

describe("seatkeeper verify-token", () => {
  it("passes for the program `seatkeeper run` starts (SEATKEEPER_SESSION_TOKEN)", async () => {
    const env = cliEnv(server, { SEATKEEPER_SERIAL: pool.serial, SEATKEEPER_PRODUCT_KEY: pool.productKey });
    const r = await runCli(["run", "--", process.execPath, BIN, "verify-token"], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Valid session token for \S+ on \S+, seat \S+ of pool \S+: the session is active\.$/m);
  });

  it("verifies offline with the cached keys, and refuses forged, foreign and ended tokens", async () => {
    const relay = new TcpRelay(server.port);
    await relay.open();
    const { client, seat } = await session(relay.url);
    const env = cliEnv(undefined, { SEATKEEPER_URL: relay.url, SEATKEEPER_SESSION_TOKEN: seat.token });
    try {
      const online = await runCli(["verify-token", "--json"], env);
      expect(online.code, online.stderr).toBe(0);
      expect(JSON.parse(online.stdout)).toMatchObject({ valid: true, session: "active", claims: { sub: seat.sessionId } });
      expect(existsSync(path.join(env.SEATKEEPER_CONFIG_DIR!, "jwks"))).toBe(true);
      await relay.close();
      const offline = await runCli(["verify-token"], env);
      expect(offline.code, offline.stderr).toBe(0);
      expect(offline.stdout).toContain("the service cannot be reached, so the seat is taken as held (offline start)");

      const fake = await runCli(["verify-token", forged(seat.token)], env);
      expect(fake.code).toBe(1);
      expect(fake.stderr).toContain("The session token does not verify: its signature does not match.");
      expectNoStackTrace(fake);
      const foreign = await runCli(["verify-token", "--machine", "OTHER-PC"], env);
      expect(foreign.code).toBe(1);
      expect(foreign.stderr).toMatch(/The session token is genuine but was issued to \S+ on \S+, not to \S+ on OTHER-PC\./);
    } finally {
      await relay.open();
      await client.release();
    }
    const ended = await runCli(["verify-token"], env);
    expect(ended.code).toBe(1);
    expect(ended.stderr).toContain("This session has ended: its seat is no longer held.");
    await relay.close();
    const missing = await runCli(["verify-token"], cliEnv(server));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("Give the token, or run this under `seatkeeper run`");
  });
});
