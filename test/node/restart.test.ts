import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalServer, type LocalServer } from "./local-server";

let server: LocalServer;
beforeAll(async () => {
  server = await startLocalServer();
});
afterAll(async () => {
  await server?.dispose();
});

async function http(method: string, path: string, body?: unknown, token?: string) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

describe("the local server, started as npm start does", () => {
  it("keeps a checked-out seat through a kill -9 and a restart", async () => {
    const created = await http("POST", "/v1/pools", { customer: "Restart Ltd", seats: 2 }, server.vendorToken);
    expect(created.status).toBe(201);
    const pool = created.body;
    const out = await http("POST", "/v1/sessions", { serial: pool.serial, productKey: pool.productKey, user: "ann", machine: "PC-7" });
    expect(out.status).toBe(201);

    await server.stop("SIGKILL");
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
    await server.restart();

    const seats = await http("GET", `/v1/pools/${pool.poolId}/seats`, undefined, server.vendorToken);
    expect(seats.status).toBe(200);
    expect(seats.body.seats).toHaveLength(1);
    expect(seats.body.seats[0]).toMatchObject({ user: "ann", machine: "PC-7", seatId: out.body.seatId });
    const status = await http("GET", `/v1/sessions/${out.body.sessionId}`, undefined, out.body.token);
    expect(status.body.active).toBe(true);
    const again = await http("DELETE", `/v1/sessions/${out.body.sessionId}`, undefined, out.body.token);
    expect(again.body).toMatchObject({ released: true, seatFreed: true, pool: { inUse: 0 } });
  });
});
