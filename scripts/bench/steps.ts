/** The steps lab.ts times, shared by the runtime side and the Node side of the bench. */

/** What a Worker runs, in the order a checkout or release meets it. */
export const WORKER_STEPS = [
  "validate", "hash", "sign", "verify", "rpc-noop", "rpc-write", "do-checkout", "do-release", "app-checkout", "app-release",
] as const;

/** The pool object's SQL, one statement kind at a time, each in its own transaction as in production. */
export const SQL_STEPS = [
  "sql-transaction", "sql-active-seat", "sql-insert-seat", "sql-insert-session", "sql-in-use", "sql-usage", "sql-event",
  "sql-session", "sql-end-session", "sql-checkout", "sql-release",
] as const;

export type LabStep = (typeof WORKER_STEPS)[number] | (typeof SQL_STEPS)[number];
