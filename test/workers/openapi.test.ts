import { describe, expect, it } from "vitest";
import { VENDOR, call, checkout, createPool } from "./helpers";

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

interface DocOperation {
  operationId?: string;
  security?: Array<Record<string, string[]>>;
  requestBody?: { required?: boolean; content: Record<string, unknown> };
  responses: Record<string, { description: string }>;
}

async function documentOperations() {
  const doc = (await call("GET", "/openapi.json")).body;
  const ops: Array<{ method: string; path: string; op: DocOperation }> = [];
  for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, DocOperation>>)) {
    for (const [method, op] of Object.entries(item)) ops.push({ method: method.toUpperCase(), path, op });
  }
  return { doc, ops };
}

describe("the OpenAPI document describes the service as it answers", () => {
  it("names every operation once, says where it is served, and which operations need no credential", async () => {
    const { doc, ops } = await documentOperations();
    const ids = ops.map((o) => o.op.operationId);
    expect(ids.every((id) => typeof id === "string" && /^[a-z][A-Za-z]+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(doc.servers).toEqual([expect.objectContaining({ url: "https://seatkeeper.test" })]);
    const open = ops.filter((o) => Array.isArray(o.op.security) && o.op.security.length === 0).map((o) => `${o.method} ${o.path}`).sort();
    expect(open).toEqual(["GET /.well-known/jwks.json", "GET /docs", "GET /healthz", "GET /openapi.json", "POST /v1/seats/{seatId}/release", "POST /v1/sessions"]);
    for (const o of ops.filter((o) => !open.includes(`${o.method} ${o.path}`))) expect(o.op.security, o.path).toEqual([{ bearer: [] }]);
    // and the public ones really answer without one
    for (const path of ["/healthz", "/.well-known/jwks.json", "/openapi.json", "/docs"]) expect((await call("GET", path)).status, path).toBe(200);
  });

  it("documents 415 on each operation that takes a body, and each one answers it", async () => {
    const { ops } = await documentOperations();
    const withBody = ops.filter((o) => o.op.requestBody);
    expect(withBody.map((o) => o.op.operationId).sort()).toEqual(["addAdmin", "borrowSeat", "checkout", "createPool", "createStaff", "createVendorWebhook", "createWebhook", "erasePerson", "releaseOwnSeat", "rotateCredentials", "updatePool", "updateStaff"]);
    for (const o of ops) {
      if (o.op.requestBody) expect(o.op.responses["415"]?.description, o.path).toContain("unsupported_media_type");
      else expect(o.op.responses["415"], o.path).toBeUndefined();
    }
    const pool = await createPool(1);
    const session = (await checkout(pool, { user: "ann", machine: "pc" })).body;
    const path = (p: string) => p.replace("{poolId}", pool.poolId).replace("{sessionId}", session.sessionId);
    for (const o of withBody) {
      const token = o.op.security?.length ? (o.path.includes("{sessionId}") ? session.token : VENDOR) : undefined;
      const res = await call(o.method, path(o.path), { token, rawBody: '{"seats":1}', headers: { "content-type": "text/plain" } });
      expect(res.status, o.path).toBe(415);
      expect(res.body.error.code).toBe("unsupported_media_type");
    }
  });

  it("marks the credentials body optional, as it is", async () => {
    const { ops } = await documentOperations();
    const rotate = ops.find((o) => o.op.operationId === "rotateCredentials")!;
    expect(rotate.op.requestBody!.required).toBe(false);
    for (const o of ops.filter((o) => o.op.requestBody && o !== rotate)) expect(o.op.requestBody!.required, o.path).toBe(true);
    const pool = await createPool(1);
    const bare = await call("POST", `/v1/pools/${pool.poolId}/credentials`, { token: VENDOR });
    expect(bare.status).toBe(201);
    expect(bare.body.sessionsEnded).toBe(0);
  });

  it("answers a known path with a method it does not serve with 405 and the methods it does, as documented", async () => {
    const { ops } = await documentOperations();
    const pool = await createPool(1);
    const documented = new Map<string, Set<string>>();
    for (const o of ops) documented.set(o.path, (documented.get(o.path) ?? new Set()).add(o.method));
    for (const [path, methods] of documented) {
      const concrete = path.replace("{poolId}", pool.poolId).replace("{seatId}", "seat_x").replace("{sessionId}", "ses_x");
      const expected = [...methods, ...(methods.has("GET") ? ["HEAD"] : [])].sort().join(", ");
      for (const method of ["GET", "POST", "PUT", "PATCH", "DELETE"].filter((m) => !methods.has(m))) {
        const res = await call(method, concrete, { token: VENDOR });
        expect(res.status, `${method} ${concrete}`).toBe(405);
        expect(res.body.error.code).toBe("method_not_allowed");
        expect(res.headers.get("allow"), `${method} ${concrete}`).toBe(expected);
      }
    }
    // an unknown path stays 404, with no Allow
    const unknown = await call("PUT", "/v1/nothing-here");
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get("allow")).toBeNull();
  });

  it("gives /docs an index, field descriptions and an example of each request body", async () => {
    const { ops } = await documentOperations();
    const page: string = (await call("GET", "/docs")).body;
    const index = page.slice(page.indexOf('<nav aria-label="Index">'), page.indexOf("</nav>"));
    for (const o of ops) {
      expect(index, o.op.operationId).toContain(`href="#${o.op.operationId}"`);
      expect(page).toContain(`<section id="${o.op.operationId}">`);
    }
    for (const o of ops.filter((o) => o.op.requestBody)) {
      const section = page.slice(page.indexOf(`<section id="${o.op.operationId}">`));
      const body = section.slice(section.indexOf("<h4>Request body"), section.indexOf("<h4>Responses"));
      expect(body, o.op.operationId).toContain("<table>");
      expect(body, o.op.operationId).toContain("Example:");
    }
    // and of each success answer in JSON
    const { doc } = await documentOperations();
    for (const o of ops) {
      for (const [status, r] of Object.entries(o.op.responses)) {
        const schema = (r as { content?: Record<string, { schema?: { example?: unknown; $ref?: string } }> }).content?.["application/json"]?.schema;
        if (!status.startsWith("2") || !schema || o.op.operationId === "openapiDocument") continue;
        expect(schema.example, `${o.op.operationId} ${status}`).toBeDefined();
      }
    }
    expect(doc.components.schemas.ErrorResponse.example.error.code).toBe("pool_full");
    expect(page).toContain("who is running the application, e.g. the Windows user name");
    expect(page).toContain("&quot;user&quot;: &quot;jsmith&quot;");
    expect(page).toContain('<h2 id="errors">');
    expect(page).toContain("<code>method_not_allowed</code>");
  });
});
