import { describe, expect, it } from "vitest";
import { call } from "./helpers";

describe("the OpenAPI document and docs", () => {
  it("is OpenAPI 3.1 and lists every route of the contract", async () => {
    const res = await call("GET", "/openapi.json");
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe("3.1.0");
    const routes = Object.entries(res.body.paths as Record<string, object>).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    for (const expected of [
      "POST /v1/sessions",
      "DELETE /v1/sessions/{sessionId}",
      "POST /v1/sessions/{sessionId}/heartbeat",
      "GET /v1/sessions/{sessionId}",
      "POST /v1/pools",
      "GET /v1/pools",
      "GET /v1/pools/{poolId}",
      "PATCH /v1/pools/{poolId}",
      "GET /v1/pools/{poolId}/seats",
      "DELETE /v1/pools/{poolId}/seats/{seatId}",
      "POST /v1/pools/{poolId}/credentials",
      "POST /v1/pools/{poolId}/admin-keys",
      "GET /v1/pools/{poolId}/events",
      "GET /v1/pools/{poolId}/usage",
      "GET /.well-known/jwks.json",
      "GET /healthz",
    ]) {
      expect(routes).toContain(expected);
    }
    // generated from the same zod schemas the routes validate with
    const checkoutBody = res.body.paths["/v1/sessions"].post.requestBody.content["application/json"].schema;
    expect(checkoutBody.required).toEqual(expect.arrayContaining(["serial", "productKey", "user", "machine"]));
    expect(checkoutBody.properties.user.maxLength).toBe(256);
    expect(Object.keys(res.body.paths["/v1/sessions"].post.responses)).toEqual(expect.arrayContaining(["201", "200", "401", "409", "426", "429"]));
  });

  it("shows the document at /docs, from this host alone", async () => {
    const res = await call("GET", "/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(res.body).toContain("/v1/sessions/{sessionId}/heartbeat");
    expect(res.body).not.toMatch(/<script[^>]+src=["']https?:/);
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
  });

  it("answers /healthz, with the security headers on answers and errors alike", async () => {
    const health = await call("GET", "/healthz");
    expect(health).toMatchObject({ status: 200, body: { ok: true } });
    const missing = await call("GET", "/no-such-route");
    for (const res of [health, missing]) {
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    }
  });
});
