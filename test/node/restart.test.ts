import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, startLocalServer, type LocalServer } from "./local-server";

let server: LocalServer;
beforeAll(async () => { server = await startLocalServer(); });
afterAll(() => server?.dispose());

const http = (method: string, path: string, body?: unknown, token?: string) => api(server, method, path, body, token);

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
