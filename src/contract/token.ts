/**
 * The claims of a session token (shared/api.md, "check a seat out"): one schema for the
 * Worker that signs and verifies them and the SDK that reads them offline.
 */
import { z } from "zod";

/** A JWT NumericDate: whole seconds since the epoch. */
const NumericDate = z.number().int().nonnegative();

export const SessionTokenClaims = z.object({
  iss: z.string().describe("the service that issued the token"),
  sub: z.string().min(1).describe("the session id"),
  pool: z.string().min(1).describe("the pool id"),
  seat: z.string().min(1).describe("the seat id"),
  user: z.string().describe("the user the seat was checked out for"),
  machine: z.string().describe("the machine the seat was checked out on"),
  tsn: z.string().optional().describe("terminal session, when given"),
  iat: NumericDate.describe("when the token was issued"),
  exp: NumericDate.optional().describe("not written by this service; honoured when present"),
  nbf: NumericDate.optional().describe("not written by this service; honoured when present"),
});
export type SessionTokenClaims = z.infer<typeof SessionTokenClaims>;

/** What the Worker puts into a token it signs; it adds `iss` and `iat` itself. */
export type SignedSessionClaims = Omit<SessionTokenClaims, "iss" | "iat" | "exp" | "nbf">;

/**
 * The claims of a lease (shared/api.md, "Borrowing a seat to work offline"): a seat
 * borrowed for some days, verified offline with the JWKS, bound to the machine's `machineId`.
 */
export const LeaseClaims = z.object({
  iss: z.string(),
  typ: z.literal("lease").describe("tells a lease from a session token"),
  sub: z.string().min(1).describe("the session id"),
  pool: z.string().min(1),
  seat: z.string().min(1),
  user: z.string(),
  machine: z.string(),
  machineId: z.string().optional().describe("the machine id the session was checked out with, when it sent one"),
  iat: NumericDate,
  nbf: NumericDate,
  exp: NumericDate.describe("the borrowed seat's `until`"),
});
export type LeaseClaims = z.infer<typeof LeaseClaims>;
