import { describe, expect, it } from "vitest";
import { VENDOR, call, checkout, createPool, expectError, seatsOf } from "./helpers";

describe("identities compared as an admin reads them", () => {
  it("takes one seat for names that look the same: NFC and NFD, full-width letters, zero-width characters", async () => {
    const pairs: [string, string][] = [
      ["Jos\u00e9", "Jose\u0301"],
      ["jsmith", "\uff4a\uff53\uff4d\uff49\uff54\uff48"],
      ["jsmith", "js\u200bmi\u200dth\ufeff"],
      ["JSMITH", "jsmith"],
    ];
    for (const [a, b] of pairs) {
      const pool = await createPool(1);
      const first = await checkout(pool, { user: a, machine: "PC-1" });
      const second = await checkout(pool, { user: b, machine: "PC-1" });
      expect(first.status).toBe(201);
      expect(second.status, `${JSON.stringify(a)} and ${JSON.stringify(b)}`).toBe(201);
      expect(second.body.seatId).toBe(first.body.seatId);
      expect((await seatsOf(pool))[0].user).toBe(a); // shown as the client sent it
    }
  });

  it("refuses control, line-break and bidirectional characters in names, and changes nothing", async () => {
    const pool = await createPool(1);
    for (const user of ["ann\u202egnp.exe", "ann\u2066x", "an\u0085n", "an\rn", "an\u2028n", "\nann", "an\tn"]) {
      const res = await checkout(pool, { user, machine: "PC-1" });
      expectError(res, 400, "invalid_request");
      expect(res.body.error.details.issues[0].path).toBe("user");
    }
    expect(await seatsOf(pool)).toEqual([]);
    for (const customer of ["\nEvil Row", "Acme\u202e", "Acme\u009b"]) {
      expectError(await call("POST", "/v1/pools", { token: VENDOR, body: { customer, seats: 1 } }), 400, "invalid_request");
    }
    // surrounding white space is still ignored, as in version 1
    expect((await checkout(pool, { user: " ann ", machine: "PC-1\t" })).status).toBe(201);
  });
});
