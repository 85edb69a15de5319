/** What anyone may fetch: liveness, the keys that verify session tokens, and the API's own description. */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { HealthResponse, Jwks } from "../../contract/schemas.js";
import { renderDocs } from "../docs-page.js";
import type { AppEnv } from "../env.js";
import { jsonContent, publicSecurity } from "../openapi.js";
import { publicJwks } from "../tokens.js";

const DOCS_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const healthRoute = createRoute({
  method: "get",
  path: "/healthz",
  operationId: "health",
  tags: ["Public"],
  summary: "Liveness",
  security: publicSecurity,
  responses: { 200: jsonContent(HealthResponse, "Up") },
});

const jwksRoute = createRoute({
  method: "get",
  path: "/.well-known/jwks.json",
  operationId: "jwks",
  tags: ["Public"],
  summary: "Public keys that verify session tokens",
  security: publicSecurity,
  responses: { 200: jsonContent(Jwks, "JWKS") },
});

/** The document's own config; `servers` is where it was fetched from, so it is right on every deployment. */
function documentConfig(origin: string) {
  return {
    openapi: "3.1.0",
    info: {
      title: "Seatkeeper",
      version: "1",
      description:
        "Cloud concurrent licensing: a pool of N seats, checked out at start-up with a serial number and product key, held until the application closes. " +
        "Every error has the shape `{ \"error\": { \"code\", \"message\", \"details\"? } }`; a known path called with a method it does not serve is `405 method_not_allowed` with an `Allow` header.",
      license: { name: "Proprietary", identifier: "LicenseRef-Proprietary" },
    },
    servers: [{ url: origin, description: "This service" }],
    tags: [
      { name: "Client", description: "What the desktop application, the SDK and the CLI call: check a seat out and hand it back." },
      { name: "Admin", description: "What the vendor's staff and a pool's admins call: pools, seats, credentials, audit log, usage." },
      { name: "People", description: "Who may act: the vendor's staff with their roles and tokens, and each pool's named admins with their own keys." },
      { name: "Public", description: "Open to anyone: liveness, token keys and this description." },
    ],
  };
}

export function registerPublicRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(healthRoute, (c) => c.json({ ok: true as const }, 200));

  app.openapi(jwksRoute, async (c) => {
    c.header("Cache-Control", "public, max-age=300");
    return c.json(await publicJwks(c.env), 200);
  });

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "Session token (client API), or the vendor token or a pool admin key (admin API).",
  });
  // Served by doc31 and the handler below rather than app.openapi, but listed like every other operation.
  app.openAPIRegistry.registerPath({
    method: "get",
    path: "/openapi.json",
    operationId: "openapiDocument",
    tags: ["Public"],
    summary: "This OpenAPI 3.1 document",
    security: publicSecurity,
    responses: { 200: jsonContent(z.record(z.string(), z.unknown()), "The OpenAPI document") },
  });
  app.openAPIRegistry.registerPath({
    method: "get",
    path: "/docs",
    operationId: "docsPage",
    tags: ["Public"],
    summary: "This document as a page to read",
    security: publicSecurity,
    responses: { 200: { description: "An HTML page", content: { "text/html": { schema: z.string() } } } },
  });

  app.doc31("/openapi.json", (c) => documentConfig(new URL(c.req.url).origin));
  app.get("/docs", (c) => {
    c.header("Content-Security-Policy", DOCS_CSP);
    return c.html(renderDocs(app.getOpenAPI31Document(documentConfig(new URL(c.req.url).origin))));
  });
}
