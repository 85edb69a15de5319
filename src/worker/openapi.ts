/** Helpers that describe routes for the OpenAPI document from the contract's schemas. */
import type { z } from "zod";
import { errorStatus, type ErrorCode } from "../contract/errors.js";
import { ErrorResponse } from "../contract/schemas.js";

export function jsonContent<T extends z.ZodType>(schema: T, description: string) {
  return { content: { "application/json": { schema } }, description };
}

export function jsonBody<T extends z.ZodType>(schema: T) {
  return { content: { "application/json": { schema } }, required: true };
}

/** The error responses a route can give, grouped by status, with the codes named. */
export function errorResponses(...codes: ErrorCode[]) {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of [...codes, "invalid_request", "payload_too_large"] as ErrorCode[]) {
    const status = errorStatus[code];
    const list = byStatus.get(status) ?? [];
    if (!list.includes(code)) list.push(code);
    byStatus.set(status, list);
  }
  return Object.fromEntries([...byStatus].map(([status, list]) => [status, jsonContent(ErrorResponse, list.map((c) => `\`${c}\``).join(", "))]));
}

export const bearerSecurity = [{ bearer: [] as string[] }];
