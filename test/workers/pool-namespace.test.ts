/**
 * The one function that chooses a pool's namespace. workerd has no jurisdictions (its
 * `jurisdiction("eu")` throws), so this is the one place a fake namespace stands in for the real one.
 */
import { describe, expect, it } from "vitest";
import { poolNamespace, type PlacementEnv } from "../../src/worker/pool-stub";
import { ApiError } from "../../src/worker/errors";

function fakeNamespace(jurisdiction: (j: string) => unknown) {
  const asked: string[] = [];
  const ns = { jurisdiction: (j: string) => { asked.push(j); return jurisdiction(j); } };
  return { ns: ns as unknown as PlacementEnv["POOL"], asked };
}

describe("poolNamespace", () => {
  it("asks for the eu jurisdiction for an EU pool, and the global namespace for the rest", () => {
    const eu = { name: "the EU namespace" };
    const { ns, asked } = fakeNamespace(() => eu);
    expect(poolNamespace({ POOL: ns }, "eu")).toBe(eu);
    expect(asked).toEqual(["eu"]);
    expect(poolNamespace({ POOL: ns }, "global")).toBe(ns);
    expect(asked).toEqual(["eu"]);
  });

  it("refuses to fall back to the global namespace when jurisdictions are required and unavailable", () => {
    const { ns, asked } = fakeNamespace(() => {
      throw new Error("Jurisdiction restrictions are not implemented in workerd");
    });
    let thrown: unknown;
    try {
      poolNamespace({ POOL: ns }, "eu");
    } catch (e) {
      thrown = e;
    }
    expect(asked).toEqual(["eu"]);
    expect(thrown).toBeInstanceOf(ApiError);
    expect((thrown as ApiError).code).toBe("invalid_request");
    expect((thrown as ApiError).message).toContain("EU jurisdiction");
    // any setting but the local one still requires jurisdictions
    expect(() => poolNamespace({ POOL: ns, JURISDICTIONS: "on" }, "eu")).toThrow(ApiError);
  });

  it("uses the global namespace for EU pools only when the run says JURISDICTIONS=off, without asking for one", () => {
    const { ns, asked } = fakeNamespace(() => {
      throw new Error("Jurisdiction restrictions are not implemented in workerd");
    });
    expect(poolNamespace({ POOL: ns, JURISDICTIONS: "off" }, "eu")).toBe(ns);
    expect(asked).toEqual([]);
  });
});
