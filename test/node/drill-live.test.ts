import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { liveDrill } from "../../scripts/drill/live";
import { startLocalServer, type LocalServer } from "./local-server";

let server: LocalServer;
beforeAll(async () => {
  server = await startLocalServer();
});
afterAll(async () => {
  await server?.dispose();
});

describe("the live drill, short", () => {
  it("tells every connected client of a mass free and of a revocation within 2 s, and keeps every seat through a kill -9 with the channels open", async () => {
    const outcome = await liveDrill(server, { sessions: 60, killSessions: 25 });
    expect(outcome.problems).toEqual([]);
    // Work really done: every channel told, every client back after the kill, every seat still held by its session.
    expect(outcome.counts).toMatchObject({ stormSessions: 60, stormTold: 60, revokeTold: 60, killSessions: 25, reconnected: 25, heldAfterRestart: 25, endedByKill: 0 });
    expect(outcome.counts.stormMaxToldMs).toBeLessThanOrEqual(2000);
    expect(outcome.counts.revokeMaxToldMs).toBeLessThanOrEqual(2000);
  }, 240_000);
});
