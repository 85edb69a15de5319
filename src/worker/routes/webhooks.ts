/** The admin API on a pool's webhooks: subscribe, list, remove, and the delivery log. */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import {
  CreateWebhookRequest, CreateWebhookResponse, DeliveriesResponse, PoolPath, RemoveWebhookResponse, WebhookListResponse, WebhookPath,
} from "../../contract/schemas.js";
import { poolAdminAuth, refuse } from "../auth.js";
import type { AppEnv } from "../env.js";
import { adminErrors, bearerSecurity, bodyErrorResponses, errorResponses, jsonBody, jsonContent } from "../openapi.js";
import { createWebhook, listWebhooks, removeWebhook, webhookDeliveries } from "../pool-operations.js";

const createWebhookRoute = createRoute({
  method: "post",
  path: "/v1/pools/{poolId}/webhooks",
  operationId: "createWebhook",
  tags: ["Admin"],
  summary: "Subscribe a URL to the pool's events",
  description: "The secret (`whsec_…`) is shown once, here. The URL must be https and not name a private, loopback or link-local address (unless the service runs with ALLOW_INSECURE_WEBHOOKS=true).",
  security: bearerSecurity,
  middleware: [poolAdminAuth] as const,
  request: { params: PoolPath, body: jsonBody(CreateWebhookRequest, "The URL and the event types to send") },
  responses: { 201: jsonContent(CreateWebhookResponse, "The webhook and its secret, shown once"), ...bodyErrorResponses(...adminErrors) },
});

const listWebhooksRoute = createRoute({
  method: "get",
  path: "/v1/pools/{poolId}/webhooks",
  operationId: "listWebhooks",
  tags: ["Admin"],
  summary: "The pool's webhooks",
  security: bearerSecurity,
  middleware: [poolAdminAuth] as const,
  request: { params: PoolPath },
  responses: { 200: jsonContent(WebhookListResponse, "The webhooks, oldest first, without their secrets"), ...errorResponses(...adminErrors) },
});

const removeWebhookRoute = createRoute({
  method: "delete",
  path: "/v1/pools/{poolId}/webhooks/{webhookId}",
  operationId: "removeWebhook",
  tags: ["Admin"],
  summary: "Remove a webhook",
  description: "Its pending deliveries are dropped with it.",
  security: bearerSecurity,
  middleware: [poolAdminAuth] as const,
  request: { params: WebhookPath },
  responses: { 200: jsonContent(RemoveWebhookResponse, "Removed"), ...errorResponses(...adminErrors) },
});

const deliveriesRoute = createRoute({
  method: "get",
  path: "/v1/pools/{poolId}/webhooks/{webhookId}/deliveries",
  operationId: "listWebhookDeliveries",
  tags: ["Admin"],
  summary: "A webhook's latest 100 deliveries",
  security: bearerSecurity,
  middleware: [poolAdminAuth] as const,
  request: { params: WebhookPath },
  responses: { 200: jsonContent(DeliveriesResponse, "Deliveries, newest first"), ...errorResponses(...adminErrors) },
});

export function registerWebhookRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(createWebhookRoute, async (c) => {
    const out = await createWebhook(c.env, c.var.actor, c.var.poolId, c.req.valid("json"));
    if (!out.ok) return refuse(c, out);
    return c.json({ ...out.webhook, secret: out.secret }, 201);
  });

  app.openapi(listWebhooksRoute, async (c) => {
    const out = await listWebhooks(c.env, c.var.actor, c.var.poolId);
    if (!out.ok) return refuse(c, out);
    return c.json({ webhooks: out.webhooks }, 200);
  });

  app.openapi(removeWebhookRoute, async (c) => {
    const out = await removeWebhook(c.env, c.var.actor, c.var.poolId, c.req.valid("param").webhookId);
    if (!out.ok) return refuse(c, out);
    return c.json({ removed: true as const }, 200);
  });

  app.openapi(deliveriesRoute, async (c) => {
    const out = await webhookDeliveries(c.env, c.var.actor, c.var.poolId, c.req.valid("param").webhookId);
    if (!out.ok) return refuse(c, out);
    return c.json({ deliveries: out.deliveries }, 200);
  });
}
