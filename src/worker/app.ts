/** The Hono app: shared middleware, the routes, and the OpenAPI document made from the same schemas. */
import { OpenAPIHono, createRoute } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { HealthResponse, Jwks } from "../contract/schemas.js";
import type { AppEnv } from "./env.js";
import { errorResponse, onError, validationError } from "./errors.js";
import { createDashboard } from "./dashboard/index.js";
import { renderDocs } from "./docs-page.js";
import { jsonContent } from "./openapi.js";
import { registerPoolRoutes } from "./routes/pools.js";
import { registerSessionRoutes } from "./routes/sessions.js";
import { publicJwks } from "./tokens.js";

export const MAX_BODY_BYTES = 16 * 1024;

const targets: Record<string, string> = { json: "request body", query: "query string", param: "path" };

export function createApp() {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error, targets[result.target] ?? result.target);
    },
  });

  app.onError(onError);
  app.notFound((c) => errorResponse(c, "not_found", `No route for ${c.req.method} ${new URL(c.req.url).pathname}.`));
  // Set before the handler, so they go into the Response it builds (set after, Hono copies the Response).
  app.use("*", async (c, next) => {
    c.header("X-Content-Type-Options", "nosniff");
    c.header("Referrer-Policy", "no-referrer");
    await next();
  });
  app.use(
    "*",
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => errorResponse(c, "payload_too_large", `Request bodies are limited to ${MAX_BODY_BYTES / 1024} KiB.`),
    }),
  );

  registerSessionRoutes(app);
  registerPoolRoutes(app);
  app.route("/admin", createDashboard());

  app.openapi(
    createRoute({ method: "get", path: "/healthz", tags: ["Public"], summary: "Liveness", responses: { 200: jsonContent(HealthResponse, "Up") } }),
    (c) => c.json({ ok: true as const }, 200),
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/.well-known/jwks.json",
      tags: ["Public"],
      summary: "Public keys that verify session tokens",
      responses: { 200: jsonContent(Jwks, "JWKS") },
    }),
    async (c) => {
      c.header("Cache-Control", "public, max-age=300");
      return c.json(await publicJwks(c.env), 200);
    },
  );

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "Session token (client API), or the vendor token or a pool admin key (admin API).",
  });
  const docConfig = {
    openapi: "3.1.0",
    info: {
      title: "Seatkeeper",
      version: "1",
      description: "Cloud concurrent licensing: a pool of N seats, checked out at start-up with a serial number and product key, held until the application closes.",
    },
  };
  app.doc31("/openapi.json", docConfig);
  app.get("/docs", (c) => {
    c.header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
    return c.html(renderDocs(app.getOpenAPI31Document(docConfig) as unknown as Record<string, unknown>));
  });
  return app;
}

