import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorShapeProblem } from "../../scripts/drill/common";
import { fuzzDrill } from "../../scripts/drill/fuzz";
import { startLocalServer, type LocalServer } from "./local-server";

let server: LocalServer;
beforeAll(async () => {
  server = await startLocalServer();
});
afterAll(async () => {
  await server?.dispose();
});

describe("the bad-input drill, short", () => {
  it("gets no 5xx, only contract-shaped errors and no state change from generated requests", async () => {
    const outcome = await fuzzDrill(server, { runs: 250, seed: 20260427, checkEvery: 50 });
    expect(outcome.problems).toEqual([]);
    // Work really done: every run generated a request, and most reached the server, some with real credentials.
    expect(outcome.counts.runs).toBe(250);
    expect(outcome.counts.sent + outcome.counts.unsendable).toBe(250);
    expect(outcome.counts.sent).toBeGreaterThan(200);
    expect(outcome.counts.refused).toBeGreaterThan(100);
    expect(outcome.counts.privileged).toBeGreaterThan(0);
    expect(outcome.counts.swapped).toBeGreaterThan(0);
  });

  it("knows the contract's error shape from others", () => {
    const json = "application/json";
    expect(errorShapeProblem(404, json, JSON.stringify({ error: { code: "not_found", message: "No such pool." } }))).toBeUndefined();
    expect(errorShapeProblem(409, json, JSON.stringify({ error: { code: "pool_full", message: "Full.", details: { seats: 1, inUse: 1 } } }))).toBeUndefined();
    expect(errorShapeProblem(400, json, JSON.stringify({ error: { code: "not_found", message: "x" } }))).toMatch(/sent with 400/);
    expect(errorShapeProblem(400, json, JSON.stringify({ error: { code: "oops", message: "x" } }))).toMatch(/unknown code/);
    expect(errorShapeProblem(400, json, JSON.stringify({ message: "x" }))).toMatch(/without an "error"/);
    expect(errorShapeProblem(400, "text/plain", "Bad Request")).toMatch(/content-type/);
    expect(errorShapeProblem(401, json, JSON.stringify({ error: { code: "unauthorized", message: "" } }))).toMatch(/without a message/);
  });
});
