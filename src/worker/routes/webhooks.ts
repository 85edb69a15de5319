/** The admin API on webhooks: a pool's (subscribe, list, remove, the delivery log) and the vendor-wide ones, for every pool. */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import {
  CreateWebhookRequest, CreateWebhookResponse, DeliveriesResponse, PoolPath, RemoveWebhookResponse, VendorWebhookPath, WebhookListResponse, WebhookPath,
} from "../../contract/schemas.js";
import { allow, poolAdminAuth, refuse, vendorAuth } from "../auth.js";
import type { AppEnv } from "../env.js";
import { adminErrors, bearerSecurity, bodyErrorResponses, errorResponses, jsonBody, jsonContent, vendorErrors } from "../openapi.js";
import {
  createVendorWebhook, createWebhook, listVendorWebhooks, listWebhooks, removeVendorWebhook, removeWebhook, webhookDeliveries,
} from "../pool-operations.js";

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
  description: "With a vendor credential, `webhookId` may also be a vendor-wide webhook's: its deliveries from this pool.",
  security: bearerSecurity,
  middleware: [poolAdminAuth] as const,
  request: { params: WebhookPath },
  responses: { 200: jsonContent(DeliveriesResponse, "Deliveries, newest first"), ...errorResponses(...adminErrors) },
});

const createVendorWebhookRoute = createRoute({
  method: "post",
  path: "/v1/webhooks",
  operationId: "createVendorWebhook",
  tags: ["Admin"],
  summary: "Subscribe a URL to every pool's events (owner)",
  description: "Each pool delivers its own events to it, as to its own webhooks. The secret (`whsec_…`) is shown once, here. The URL guard is the same as for a pool's webhooks.",
  security: bearerSecurity,
  middleware: [vendorAuth, allow("manage_vendor_webhooks")] as const,
  request: { body: jsonBody(CreateWebhookRequest, "The URL and the event types to send") },
  responses: { 201: jsonContent(CreateWebhookResponse, "The webhook and its secret, shown once"), ...bodyErrorResponses(...vendorErrors) },
});

const listVendorWebhooksRoute = createRoute({
  method: "get",
  path: "/v1/webhooks",
  operationId: "listVendorWebhooks",
  tags: ["Admin"],
  summary: "The vendor-wide webhooks",
  security: bearerSecurity,
  middleware: [vendorAuth, allow("read_vendor_webhooks")] as const,
  responses: { 200: jsonContent(WebhookListResponse, "The webhooks, oldest first, without their secrets"), ...errorResponses(...vendorErrors) },
});

const removeVendorWebhookRoute = createRoute({
  method: "delete",
  path: "/v1/webhooks/{webhookId}",
  operationId: "removeVendorWebhook",
  tags: ["Admin"],
  summary: "Remove a vendor-wide webhook (owner)",
  description: "Each pool drops its pending deliveries to it at its next try.",
  security: bearerSecurity,
  middleware: [vendorAuth, allow("manage_vendor_webhooks")] as const,
  request: { params: VendorWebhookPath },
  responses: { 200: jsonContent(RemoveWebhookResponse, "Removed"), ...errorResponses(...vendorErrors, "not_found") },
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

  app.openapi(createVendorWebhookRoute, async (c) => {
    const out = await createVendorWebhook(c.env, c.var.actor, c.req.valid("json"));
    if (!out.ok) return refuse(c, out);
    return c.json({ ...out.webhook, secret: out.secret }, 201);
  });

  app.openapi(listVendorWebhooksRoute, async (c) => {
    const out = await listVendorWebhooks(c.env, c.var.actor);
    if (!out.ok) return refuse(c, out);
    return c.json({ webhooks: out.webhooks }, 200);
  });

  app.openapi(removeVendorWebhookRoute, async (c) => {
    const out = await removeVendorWebhook(c.env, c.var.actor, c.req.valid("param").webhookId);
    if (!out.ok) return refuse(c, out);
    return c.json({ removed: true as const }, 200);
  });

  app.openapi(deliveriesRoute, async (c) => {
    const out = await webhookDeliveries(c.env, c.var.actor, c.var.poolId, c.req.valid("param").webhookId);
    if (!out.ok) return refuse(c, out);
    return c.json({ deliveries: out.deliveries }, 200);
  });
}
