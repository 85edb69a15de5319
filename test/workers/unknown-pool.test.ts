import { describe, expect, it } from "vitest";
import { formatSerial, newPoolId } from "../../src/worker/credentials";
import { call, createPool, freshAddress } from "./helpers";

async function raw(body: Record<string, unknown>) {
  const res = await call("POST", "/v1/sessions", { body: { user: "ann", machine: "PC-1", ...body }, address: freshAddress() });
  return { status: res.status, bytes: JSON.stringify(res.body) };
}

describe("an unknown pool", () => {
  it("answers a checkout byte for byte as a wrong product key does, so probing tells nobody which pools exist", async () => {
    const pool = await createPool(1);
    const wrongKey = await raw({ serial: pool.serial, productKey: "AAAAA-AAAAA-AAAAA-AAAAA-AAAAA" });
    const noPool = await raw({ serial: formatSerial(newPoolId(), 1), productKey: pool.productKey });
    const garbage = await raw({ serial: "not-a-serial", productKey: pool.productKey });
    expect(wrongKey.status).toBe(401);
    expect(JSON.parse(wrongKey.bytes).error.code).toBe("invalid_credentials");
    expect(noPool).toEqual(wrongKey);
    expect(garbage).toEqual(wrongKey);
  });
});
