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
    expect(outcome.lines.join("\n")).toMatch(/round 3/);
  });
});
