import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, startLocalServer, type LocalServer } from "./local-server";

let server: LocalServer;
beforeAll(async () => { server = await startLocalServer(); });
afterAll(() => server?.dispose());

const http = (method: string, path: string, body?: unknown, token?: string) => api(server, method, path, body, token);

describe("the queue through a kill -9 of the local server", () => {
  it("loses no ticket, keeps the order, and grants nothing twice", async () => {
    const pool = (await http("POST", "/v1/pools", { customer: "Queue Ltd", seats: 1 }, server.vendorToken)).body;
    const ask = (user: string, wait: boolean) =>
      http("POST", "/v1/sessions", { serial: pool.serial, productKey: pool.productKey, user, machine: `PC-${user}`, wait });
    const holder = await ask("holder", false);
    expect(holder.status).toBe(201);
    const tickets = [];
    for (const u of ["ann", "bob", "cat", "dan"]) {
      const t = await ask(u, true);
      expect(t.status).toBe(202);
      tickets.push(t.body);
    }
    // ann is granted; the kill comes before she picks it up
    expect((await http("DELETE", `/v1/sessions/${holder.body.sessionId}`, undefined, holder.body.token)).body.seatFreed).toBe(true);

    await server.stop("SIGKILL");
    await server.restart();

    const queue = await http("GET", `/v1/pools/${pool.poolId}/queue`, undefined, server.vendorToken);
    expect(queue.body.waiting.map((w: any) => [w.user, w.position])).toEqual([["bob", 1], ["cat", 2], ["dan", 3]]);
    const ann = await http("GET", `/v1/tickets/${tickets[0].ticketId}`, undefined, tickets[0].token);
    expect(ann.body).toMatchObject({ state: "granted", pool: { seats: 1, inUse: 1 } });
    // the same grant, whichever server signed the token
    expect((await http("GET", `/v1/sessions/${ann.body.sessionId}`, undefined, ann.body.token)).body).toMatchObject({ user: "ann", active: true });

    // ann is done: bob next, then a second kill with cat and dan waiting
    await http("DELETE", `/v1/sessions/${ann.body.sessionId}`, undefined, ann.body.token);
    const bob = await http("GET", `/v1/tickets/${tickets[1].ticketId}`, undefined, tickets[1].token);
    expect(bob.body.state).toBe("granted");
    await server.stop("SIGKILL");
    await server.restart();
    expect((await http("GET", `/v1/tickets/${tickets[2].ticketId}`, undefined, tickets[2].token)).body).toMatchObject({ state: "waiting", position: 1, waiting: 2 });
    await http("DELETE", `/v1/sessions/${bob.body.sessionId}`, undefined, bob.body.token);
    expect((await http("GET", `/v1/tickets/${tickets[2].ticketId}`, undefined, tickets[2].token)).body.state).toBe("granted");

    const events = (await http("GET", `/v1/pools/${pool.poolId}/events?limit=500`, undefined, server.vendorToken)).body.events.reverse();
    const granted = events.filter((e: any) => e.type === "granted").map((e: any) => e.details.ticketId);
    expect(granted).toEqual(tickets.slice(0, 3).map((t) => t.ticketId));
    const seats = await http("GET", `/v1/pools/${pool.poolId}/seats`, undefined, server.vendorToken);
    expect(seats.body.seats.map((s: any) => s.user)).toEqual(["cat"]);
  });
});
