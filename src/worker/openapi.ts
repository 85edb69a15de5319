/** Helpers that describe routes for the OpenAPI document from the contract's schemas. */
import type { MiddlewareHandler } from "hono";
import type { z } from "zod";
import { errorStatus, type ErrorCode } from "../contract/errors.js";
import { ErrorResponse } from "../contract/schemas.js";

export function jsonContent<T extends z.ZodType>(schema: T, description: string) {
  return { content: { "application/json": { schema } }, description };
}

/**
 * For a route whose body may be left out (`jsonBody(…, false)`): an empty body is no body,
 * even under `content-type: application/json`, which version 1 clients sent on bodiless
 * heartbeats. Without this the validator would try to parse "" as JSON and answer 400.
 */
export const emptyBodyIsNoBody: MiddlewareHandler = async (c, next) => {
  if (c.req.raw.headers.has("content-type") && isBlank(new Uint8Array(await c.req.raw.clone().arrayBuffer()))) {
    const headers = new Headers(c.req.raw.headers);
    headers.delete("content-type");
    headers.delete("content-length");
    c.req.raw = new Request(c.req.raw.url, { method: c.req.raw.method, headers });
  }
  return next();
};

/** Nothing but JSON's white space (RFC 8259 §2). */
function isBlank(bytes: Uint8Array): boolean {
  return bytes.every((b) => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d);
}

/** A JSON request body; `required: false` for a body that may be left out entirely (give the route `emptyBodyIsNoBody` too). */
export function jsonBody<T extends z.ZodType>(schema: T, description: string, required = true) {
  return { content: { "application/json": { schema } }, description, required };
}

/** The codes every operation can answer; one that takes a body can also answer 415. */
const everywhere: ErrorCode[] = ["invalid_request", "payload_too_large"];

function describeCodes(codes: ErrorCode[]) {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) {
    const status = errorStatus[code];
    const list = byStatus.get(status) ?? [];
    if (!list.includes(code)) list.push(code);
    byStatus.set(status, list);
  }
  return Object.fromEntries([...byStatus].map(([status, list]) => [status, jsonContent(ErrorResponse, list.map((c) => `\`${c}\``).join(", "))]));
}

/** The error responses of an operation without a body, grouped by status, with the codes named. */
export function errorResponses(...codes: ErrorCode[]) {
  return describeCodes([...codes, ...everywhere]);
}

/** The same for an operation that takes a JSON body, which answers `unsupported_media_type` to any other. */
export function bodyErrorResponses(...codes: ErrorCode[]) {
  return describeCodes([...codes, ...everywhere, "unsupported_media_type"]);
}

export const bearerSecurity = [{ bearer: [] as string[] }];
/** Public operations: no credential (an empty list overrides any document-wide default). */
export const publicSecurity: Array<Record<string, string[]>> = [];

/** The codes every admin operation on one pool can answer. */
export const adminErrors = ["unauthorized", "forbidden", "not_found", "rate_limited"] as const;
/** The codes a vendor-only operation can answer (a pool admin key is `forbidden` there). */
export const vendorErrors = ["unauthorized", "forbidden", "rate_limited"] as const;
