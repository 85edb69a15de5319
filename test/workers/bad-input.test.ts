import { describe, expect, it } from "vitest";
import { errorShapeProblem } from "../../scripts/drill/common";
import { VENDOR, auditOf, call, checkout, createPool, freshAddress, recordsOf } from "./helpers";

describe("bad input", () => {
  it("answers each malformed request with a 4xx in the contract's shape and changes nothing", async () => {
    const pool = await createPool(2);
    const held = await checkout(pool, { user: "ann", machine: "PC-1" });
    expect(held.status).toBe(201);
    const good = { serial: pool.serial, productKey: pool.productKey, user: "bob", machine: "PC-2" };
    const before = await recordsOf(pool);

    const cases: Array<[string, string, { rawBody?: string; body?: unknown; headers?: Record<string, string>; token?: string }]> = [
      ["POST", "/v1/sessions", { rawBody: "{not json" }],
      ["POST", "/v1/sessions", { rawBody: "" }],
      ["POST", "/v1/sessions", { body: [good] }],
      ["POST", "/v1/sessions", { body: null }],
      ["POST", "/v1/sessions", { body: "a string" }],
      ["POST", "/v1/sessions", { body: 42 }],
      ["POST", "/v1/sessions", { body: {} }],
      ["POST", "/v1/sessions", { body: { ...good, user: null } }],
      ["POST", "/v1/sessions", { body: { ...good, user: 7 } }],
      ["POST", "/v1/sessions", { body: { ...good, machine: ["PC"] } }],
      ["POST", "/v1/sessions", { body: { ...good, user: "" } }],
      ["POST", "/v1/sessions", { body: { ...good, user: "   " } }],
      ["POST", "/v1/sessions", { body: { ...good, user: "x".repeat(257) } }],
      ["POST", "/v1/sessions", { body: { ...good, terminalSession: "t".repeat(129) } }],
      ["POST", "/v1/sessions", { body: { ...good, user: "bob\u0000admin" } }],
      ["POST", "/v1/sessions", { rawBody: JSON.stringify(good).replace('"bob"', '"bob\\ud800"') }],
      ["POST", "/v1/sessions", { rawBody: JSON.stringify(good).replace('"bob"', '"\\udc00bob"') }],
      ["POST", "/v1/sessions", { body: { ...good, clientVersion: "v16" } }],
      ["POST", "/v1/sessions", { body: { ...good, clientVersion: "1".repeat(40) } }],
      ["POST", "/v1/sessions", { body: { ...good, serial: 12345 } }],
      ["POST", "/v1/sessions", { body: { ...good, instance: {} } }],
      ["POST", "/v1/sessions", { body: { ...good, user: "x".repeat(40_000) } }],
      ["POST", "/v1/sessions", { rawBody: JSON.stringify(good), headers: { "content-type": "text/plain" } }],
      ["POST", "/v1/pools", { token: VENDOR, body: { customer: "X", seats: -1 } }],
      ["POST", "/v1/pools", { token: VENDOR, body: { customer: "X", seats: 1.5 } }],
      ["POST", "/v1/pools", { token: VENDOR, body: { customer: "X", seats: 1_000_001 } }],
      ["POST", "/v1/pools", { token: VENDOR, body: { customer: "X", seats: "5" } }],
      ["PATCH", `/v1/pools/${pool.poolId}`, { token: VENDOR, body: { seats: null } }],
      ["PATCH", `/v1/pools/${pool.poolId}`, { token: VENDOR, body: {} }],
      ["PATCH", `/v1/pools/${pool.poolId}`, { token: VENDOR, body: { minClientVersion: "abc" } }],
      ["GET", `/v1/pools/${pool.poolId}/events?limit=0`, { token: VENDOR }],
      ["GET", `/v1/pools/${pool.poolId}/events?before=abc`, { token: VENDOR }],
      ["GET", `/v1/pools/${pool.poolId}/usage?bucket=week`, { token: VENDOR }],
      ["GET", `/v1/pools/${pool.poolId}/usage?from=yesterday`, { token: VENDOR }],
      ["GET", "/v1/nothing-here", {}],
      ["GET", "/v1/sessions", {}],
      ["PUT", "/v1/sessions/abc", {}],
      ["GET", "/%2e%2e/%2e%2e/etc/passwd", {}],
      ["GET", `/v1/pools/${"z".repeat(500)}`, { token: VENDOR }],
      ["GET", "/v1/pools/not-a-pool", { token: VENDOR }],
      ["DELETE", `/v1/pools/${pool.poolId}/seats/seat_doesnotexist`, { token: VENDOR }],
      ["POST", "/v1/sessions/abc/heartbeat", { token: "\u0001\u0002" }],
    ];
    expect(cases.length).toBeGreaterThanOrEqual(20);
    for (const [method, path, opts] of cases) {
      const res = await call(method, path, { ...opts, address: freshAddress() });
      const label = `${method} ${path} ${JSON.stringify(opts).slice(0, 120)} → ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`;
      expect(res.status >= 400 && res.status < 500, label).toBe(true);
      // the contract's shape, with a known code sent with its own status
      const text = typeof res.body === "string" ? res.body : JSON.stringify(res.body);
      expect(errorShapeProblem(res.status, res.headers.get("content-type"), text), label).toBeUndefined();
      expect(res.body.error.message.length, label).toBeGreaterThan(5);
    }

    // a body over 16 KiB is refused as such
    const big = await call("POST", "/v1/sessions", { body: { ...good, user: "x".repeat(40_000) } });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe("payload_too_large");
    // validation names the field
    const invalid = await call("POST", "/v1/sessions", { body: { ...good, user: 7 } });
    expect(invalid.body.error.code).toBe("invalid_request");
    expect(invalid.body.error.details.issues[0].path).toBe("user");

    // The whole pool reads back as it was: details, seats and sessions, counts, admin key, audit log.
    const after = await recordsOf(pool);
    expect(after).toEqual(before);
    expect((after.seats as any[]).map((s) => s.user)).toEqual(["ann"]);
  });

  it("treats an unknown or mistyped serial and a wrong product key as invalid_credentials", async () => {
    const pool = await createPool(1);
    const who = { user: "ann", machine: "PC-1" };
    const address = freshAddress();
    for (const serial of ["nonsense", "SK-0000-0000-0000-0000-11", pool.serial.slice(0, -1) + (pool.serial.endsWith("0") ? "1" : "0")]) {
      const res = await checkout({ ...pool, serial }, who, { address });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe("invalid_credentials");
    }
    const wrongKey = await checkout({ ...pool, productKey: "AAAAA-BBBBB-CCCCC-DDDDD-EEEEE" }, who, { address });
    expect(wrongKey.body.error.code).toBe("invalid_credentials");
    expect((await auditOf(pool)).inUse).toBe(0);
  });
});
