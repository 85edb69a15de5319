/** The contract's error codes and the HTTP status each one travels with. */
export const errorStatus = {
  invalid_request: 400,
  upgrade_required: 400,
  invalid_credentials: 401,
  invalid_token: 401,
  unauthorized: 401,
  credentials_revoked: 403,
  forbidden: 403,
  blocked: 403,
  pool_inactive: 403,
  not_found: 404,
  method_not_allowed: 405,
  pool_full: 409,
  conflict: 409,
  too_many_sessions: 409,
  group_full: 409,
  seat_active: 409,
  session_ended: 410,
  payload_too_large: 413,
  unsupported_media_type: 415,
  client_version_unsupported: 426,
  rate_limited: 429,
  internal_error: 500,
  borrow_not_allowed: 403,
  borrow_limit: 409,
} as const;

export type ErrorCode = keyof typeof errorStatus;
export const errorCodes = Object.keys(errorStatus) as [ErrorCode, ...ErrorCode[]];

/** Why a session ended; `details.reason` of `session_ended`. */
export const endReasons = ["released", "freed", "revoked", "expired", "reclaimed", "lapsed"] as const;
export type EndReason = (typeof endReasons)[number];

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> };
}

export function errorBody(code: ErrorCode, message: string, details?: Record<string, unknown>): ErrorBody {
  return details === undefined ? { error: { code, message } } : { error: { code, message, details } };
}
