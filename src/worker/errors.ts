/** The one error helper: every failure leaves the Worker in the contract's shape. */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ZodError } from "zod";
import type { Failure } from "../../durable-objects/outcome.js";
import { errorBody, errorStatus, type ErrorCode } from "../contract/errors.js";
import { messages } from "../contract/messages.js";

export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

/** Throws a pool object's failure as the contract's error. */
export function fail(f: Failure): never {
  throw new ApiError(f.code, f.message, f.details);
}

export function errorResponse(c: Context, code: ErrorCode, message: string, details?: Record<string, unknown>, headers?: Record<string, string>): Response {
  return c.json(errorBody(code, message, details), errorStatus[code], headers);
}

export function validationError(error: ZodError, where: string): ApiError {
  const issues = error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message, code: i.code }));
  const first = issues[0];
  const message = first ? `Invalid ${where}: ${first.path ? `${first.path}: ` : ""}${first.message}` : `Invalid ${where}.`;
  return new ApiError("invalid_request", message, { issues });
}

const httpCodes: Record<number, ErrorCode> = {
  400: "invalid_request",
  401: "unauthorized",
  404: "not_found",
  405: "method_not_allowed",
  413: "payload_too_large",
  415: "unsupported_media_type",
};

export function onError(err: Error, c: Context): Response {
  if (err instanceof ApiError) return errorResponse(c, err.code, err.message, err.details, err.headers);
  if (err instanceof HTTPException && httpCodes[err.status]) {
    const code = httpCodes[err.status]!;
    const message =
      code === "unsupported_media_type" ? messages.notJson
      : code === "invalid_request" ? messages.badJson(err.message)
      : err.message;
    return errorResponse(c, code, message);
  }
  console.error("unhandled error", c.req.method, new URL(c.req.url).pathname, err instanceof Error ? err.stack : String(err));
  return errorResponse(c, "internal_error", messages.internalError);
}
