import { describe, expect, it } from "vitest";
import { formatSerial, newAdminKey, newPoolId, newProductKey, normalizeKey, parseAdminKey, parsePoolId, parseSerial } from "../../src/worker/credentials";

describe("serials, product keys and admin keys", () => {
  it("round-trips a serial's pool id and generation, in any case and with or without dashes", () => {
    const poolId = newPoolId();
    for (const generation of [1, 2, 31, 32, 1000]) {
      const serial = formatSerial(poolId, generation);
      expect(serial).toMatch(/^SK-[0-9A-Z]{4}(-[0-9A-Z]{4}){3}-[0-9A-Z]+$/);
      expect(parseSerial(serial)).toEqual({ poolId, generation });
      expect(parseSerial(serial.toLowerCase().replace(/-/g, ""))).toEqual({ poolId, generation });
    }
    expect(formatSerial(poolId, 2)).not.toBe(formatSerial(poolId, 1));
  });

  it("rejects a serial with one character mistyped", () => {
    const serial = formatSerial(newPoolId(), 1);
    let caught = 0;
    let tried = 0;
    for (let i = 3; i < serial.length; i++) {
      if (serial[i] === "-") continue;
      const replacement = serial[i] === "7" ? "8" : "7";
      tried++;
      if (parseSerial(serial.slice(0, i) + replacement + serial.slice(i + 1)) === null) caught++;
    }
    expect(caught).toBe(tried);
  });

  it("makes product keys of 125 random bits in five typable groups", () => {
    const key = newProductKey();
    expect(key).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){4}$/);
    expect(new Set(Array.from({ length: 200 }, newProductKey)).size).toBe(200);
    expect(normalizeKey(key.toLowerCase())).toBe(key.replace(/-/g, ""));
    expect(normalizeKey("o0-il1")).toBe("00111");
  });

  it("makes admin keys that carry their pool id", () => {
    const poolId = newPoolId();
    const key = newAdminKey(poolId);
    expect(parseAdminKey(key)?.poolId).toBe(poolId);
    expect(parseAdminKey(key.toLowerCase())?.normalized).toBe(normalizeKey(key));
    expect(parseAdminKey("test-vendor-token")).toBeNull();
    expect(parsePoolId(poolId.toLowerCase())).toBe(poolId);
    expect(parsePoolId("nope")).toBeNull();
  });
});
