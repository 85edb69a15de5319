/** The admin API on the vendor's staff: people with roles and tokens of their own (owners manage them). */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import {
  CreateStaffRequest, CreateStaffResponse, RemovedResponse, StaffListResponse, StaffMember, StaffPath, StaffTokenResponse, UpdateStaffRequest,
} from "../../contract/schemas.js";
import { allow, refuse, vendorAuth } from "../auth.js";
import type { AppEnv } from "../env.js";
import { bearerSecurity, bodyErrorResponses, errorResponses, jsonBody, jsonContent, vendorErrors } from "../openapi.js";
import { createStaff, listStaff, removeStaff, replaceStaffToken, updateStaff } from "../staff-operations.js";

const createStaffRoute = createRoute({
  method: "post",
  path: "/v1/staff",
  operationId: "createStaff",
  tags: ["People"],
  summary: "Add a staff member (owner)",
  description: "Their token (`ST-…`) is shown once, here; only its hash is stored. It is a vendor credential of their role on every admin endpoint.",
  security: bearerSecurity,
  middleware: [vendorAuth, allow("manage_staff")] as const,
  request: { body: jsonBody(CreateStaffRequest, "Who, and their role") },
  responses: { 201: jsonContent(CreateStaffResponse, "The new staff member and their token"), ...bodyErrorResponses(...vendorErrors, "conflict") },
});

const listStaffRoute = createRoute({
  method: "get",
  path: "/v1/staff",
  operationId: "listStaff",
  tags: ["People"],
  summary: "List the staff (owner)",
  security: bearerSecurity,
  middleware: [vendorAuth, allow("manage_staff")] as const,
  responses: { 200: jsonContent(StaffListResponse, "Every staff member, by e-mail address"), ...errorResponses(...vendorErrors) },
});

const updateStaffRoute = createRoute({
  method: "patch",
  path: "/v1/staff/{staffId}",
  operationId: "updateStaff",
  tags: ["People"],
  summary: "Change a staff member's role, name or state (owner)",
  description: "Disabling a person stops their token and ends their dashboard sessions at once.",
  security: bearerSecurity,
  middleware: [vendorAuth, allow("manage_staff")] as const,
  request: { params: StaffPath, body: jsonBody(UpdateStaffRequest, "What to change; at least one") },
  responses: { 200: jsonContent(StaffMember, "The staff member as they now are"), ...bodyErrorResponses(...vendorErrors, "not_found") },
});

const removeStaffRoute = createRoute({
  method: "delete",
  path: "/v1/staff/{staffId}",
  operationId: "removeStaff",
  tags: ["People"],
  summary: "Remove a staff member (owner)",
  security: bearerSecurity,
  middleware: [vendorAuth, allow("manage_staff")] as const,
  request: { params: StaffPath },
  responses: { 200: jsonContent(RemovedResponse, "Removed; their token and sessions end"), ...errorResponses(...vendorErrors, "not_found") },
});

const staffTokenRoute = createRoute({
  method: "post",
  path: "/v1/staff/{staffId}/tokens",
  operationId: "replaceStaffToken",
  tags: ["People"],
  summary: "A new token for a staff member (owner, or the person)",
  description: "The new token is shown once, here; the previous one stops working at once.",
  security: bearerSecurity,
  middleware: [vendorAuth, allow("manage_staff", { orTheStaffMemberIn: "staffId" })] as const,
  request: { params: StaffPath },
  responses: { 201: jsonContent(StaffTokenResponse, "The new token, shown once"), ...errorResponses(...vendorErrors, "not_found") },
});

export function registerStaffRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(createStaffRoute, async (c) => {
    const out = await createStaff(c.env, c.req.valid("json"));
    if (!out.ok) return refuse(c, out);
    const { staffId, email, name, role } = out.staff;
    return c.json({ staffId, email, name, role, token: out.token }, 201);
  });

  app.openapi(listStaffRoute, async (c) => c.json({ staff: await listStaff(c.env) }, 200));

  app.openapi(updateStaffRoute, async (c) => {
    const out = await updateStaff(c.env, c.req.valid("param").staffId, c.req.valid("json"));
    if (!out.ok) return refuse(c, out);
    return c.json(out.staff, 200);
  });

  app.openapi(removeStaffRoute, async (c) => {
    const out = await removeStaff(c.env, c.req.valid("param").staffId);
    if (!out.ok) return refuse(c, out);
    return c.json({ removed: true as const }, 200);
  });

  app.openapi(staffTokenRoute, async (c) => {
    const out = await replaceStaffToken(c.env, c.req.valid("param").staffId);
    if (!out.ok) return refuse(c, out);
    return c.json({ staffId: out.staff.staffId, token: out.token }, 201);
  });
}
