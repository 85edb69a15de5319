import type { ErrorCode } from "../src/contract/errors.js";

/** Error details: plain values that cross the RPC boundary (an `unknown` would erase the type). */
export type Detail = string | number | boolean | null | { path: string; message: string }[] | Record<string, string | boolean | null>[];

/** What a pool object answers over RPC: plain data, or a contract error for the Worker to send. */
export interface Failure {
  ok: false;
  code: ErrorCode;
  message: string;
  details?: Record<string, Detail>;
  /** What was not found, for callers that answer differently (the dashboard); never sent to clients. */
  resource?: "pool" | "seat";
}
export type Outcome<T> = ({ ok: true } & T) | Failure;

export function failure(code: ErrorCode, message: string, details?: Record<string, Detail>): Failure {
  return details === undefined ? { ok: false, code, message } : { ok: false, code, message, details };
}

/** Who is acting on a pool: the vendor's staff, or the holder of the pool's admin key (checked by the object). */
export type Actor = { role: "vendor"; label?: string } | { role: "admin"; keyHash: string; label?: string };
