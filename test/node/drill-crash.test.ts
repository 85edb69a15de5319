import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { crashDrill } from "../../scripts/drill/crash";
import { startLocalServer, type LocalServer } from "./local-server";

let server: LocalServer;
beforeAll(async () => {
  server = await startLocalServer();
});
afterAll(async () => {
  await server?.dispose();
});

describe("the crash drill, short", () => {
  it("keeps every answered checkout and release through a kill -9 with requests in flight", async () => {
    const outcome = await crashDrill(server, { cycles: 1, clients: 12, pools: 2, seatsPerPool: 15, loadMs: 700, seed: 20260427 });
    expect(outcome.problems).toEqual([]);
    // Work really done: answers before the kill, requests really in flight at it, sessions held to their answers after.
    expect(outcome.counts.cycles).toBe(1);
    expect(outcome.counts.answeredBeforeKill).toBeGreaterThan(0);
    expect(outcome.counts.inFlightCheckouts + outcome.counts.inFlightReleases).toBeGreaterThan(0);
    expect(outcome.counts.heldAfterRestart).toBeGreaterThan(0);
    expect(outcome.counts.checkedAfterRestart).toBeGreaterThanOrEqual(outcome.counts.heldAfterRestart);
  });
});
