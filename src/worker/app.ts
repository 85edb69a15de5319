/** The Hono app: shared middleware, the routes by resource, and the OpenAPI document made from the same schemas. */
import { OpenAPIHono } from "@hono/zod-openapi";
import { messages } from "../contract/messages.js";
import { allowedMethods } from "./allowed-methods.js";
import { bodyLimit } from "./body-limit.js";
import { createDashboard } from "./dashboard/index.js";
import type { AppEnv } from "./env.js";
import { errorResponse, onError, validationError } from "./errors.js";
import { registerAdminKeyRoutes } from "./routes/admin-keys.js";
import { registerCredentialRoutes } from "./routes/credentials.js";
import { registerEventRoutes } from "./routes/events.js";
import { registerPoolRoutes } from "./routes/pools.js";
import { registerPoolDataRoutes } from "./routes/pool-data.js";
import { registerPublicRoutes } from "./routes/public.js";
import { registerSeatRoutes } from "./routes/seats.js";
import { registerSessionRoutes } from "./routes/sessions.js";
import { registerUsageRoutes } from "./routes/usage.js";
import { registerStaffRoutes } from "./routes/staff.js";
import { registerAdminRoutes } from "./routes/admins.js";
import { registerTicketRoutes } from "./routes/tickets.js";
import { registerWebhookRoutes } from "./routes/webhooks.js";
import { registerAdviceRoutes } from "./routes/advice.js";

export const MAX_BODY_BYTES = 16 * 1024;

const targets: Record<string, string> = { json: "request body", query: "query string", param: "path" };

export function createApp() {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error, targets[result.target] ?? result.target);
    },
  });

  app.onError(onError);
  const methodsFor = allowedMethods(app.routes);
  app.notFound((c) => {
    const pathname = new URL(c.req.url).pathname;
    const allowed = methodsFor(pathname);
    if (allowed.length > 0) {
      return errorResponse(c, "method_not_allowed", messages.methodNotAllowed(pathname, c.req.method, allowed), undefined, { Allow: allowed.join(", ") });
    }
    return errorResponse(c, "not_found", messages.noRoute(c.req.method, pathname));
  });
  // Set before the handler, so they go into the Response it builds (set after, Hono copies the Response).
  app.use("*", async (c, next) => {
    c.header("X-Content-Type-Options", "nosniff");
    c.header("Referrer-Policy", "no-referrer");
    await next();
  });
  app.use(
    "*",
    bodyLimit(MAX_BODY_BYTES, (c) => errorResponse(c, "payload_too_large", messages.bodyTooLarge(MAX_BODY_BYTES / 1024))),
  );

  registerSessionRoutes(app);
  registerPoolRoutes(app);
  registerSeatRoutes(app);
  registerCredentialRoutes(app);
  registerAdminKeyRoutes(app);
  registerEventRoutes(app);
  registerUsageRoutes(app);
  registerStaffRoutes(app);
  registerAdminRoutes(app);
  registerTicketRoutes(app);
  registerPoolDataRoutes(app);
  registerWebhookRoutes(app);
  registerAdviceRoutes(app);
  registerPublicRoutes(app);
  app.route("/admin", createDashboard());
  return app;
}
