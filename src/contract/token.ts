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
