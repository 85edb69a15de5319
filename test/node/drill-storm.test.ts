import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stormDrill } from "../../scripts/drill/storm";
import { startLocalServer, type LocalServer } from "./local-server";

let server: LocalServer;
beforeAll(async () => {
  server = await startLocalServer();
});
afterAll(async () => {
  await server?.dispose();
});

describe("the storm drill, short", () => {
  it("never over-allocates, never grants a seat twice, and holds every 201 under concurrent checkouts", async () => {
    const outcome = await stormDrill(server, { rounds: 3, concurrency: 120, seed: 20260427 });
    expect(outcome.problems).toEqual([]);
    // Work really done: every checkout answered, seats granted and refused, retries answered with their twin's session.
    expect(outcome.counts).toMatchObject({ rounds: 3, sent: 360, answered: 360, twinPairs: 36, twinsToldFullWhileHolding: 0 });
    expect(outcome.counts.created).toBeGreaterThan(0);
    expect(outcome.counts.full).toBeGreaterThan(0);
    expect(outcome.counts.repeated).toBeGreaterThan(0);
    expect(outcome.counts.twinsBothGranted).toBeGreaterThan(0);
    expect(outcome.counts.twinsBothFull).toBeGreaterThan(0);
  });
});
