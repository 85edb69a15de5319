/**
 * Every message the service's API gives a person, the pool object's and the Worker's, in
 * one place. A message is part of the answer a stranger sees, so two cases an attacker
 * must not tell apart (a pool that does not exist, a wrong product key) share one text,
 * byte for byte. The dashboard's page copy lives with its views.
 */
import type { EndReason } from "./errors.js";

export const messages = {
  /** Unknown serial, wrong product key, missing pool: one answer for all three. */
  badCredentials: "The serial number or product key is not valid. Check both with your IT department.",
  credentialsRevoked:
    "This serial number and product key were replaced. Ask your IT department for the new serial number and product key.",
  clientVersionMissing: (min: string) =>
    `This pool needs client version ${min} or later, and the client did not say its version.`,
  clientVersionTooOld: (min: string, version: string) =>
    `This pool needs client version ${min} or later; this is ${version}. Update the application.`,
  instanceOfAnother: "This instance id belongs to another user's session; send a fresh one.",
  poolFull: (seats: number) => `All ${seats} seats of this pool are in use.`,
  tooManySessions(reason: "machine_mismatch" | "sessions" | "addresses", max: number): string {
    switch (reason) {
      case "machine_mismatch": return "This user's seat is held on another computer with the same name. Close the application there, or ask your IT department to free the seat.";
      case "sessions": return `This user's seat already carries ${max} running copies of the application, the most this pool allows. Close one and try again.`;
      case "addresses": return `This user's seat is already in use from ${max} different network addresses, the most this pool allows. Close the application elsewhere, or ask your IT department.`;
    }
  },
  poolExists: "A pool with this id exists already.",

  tokenForeign: "The token does not belong to a session of this service.",
  tokenOtherSession: "The token does not belong to this session.",
  sessionGone: "This session has ended and its record has expired.",
  sessionEnded(reason: EndReason): string {
    switch (reason) {
      case "released": return "This session was released.";
      case "freed": return "An administrator freed this seat. Start the application again to take a seat.";
      case "revoked": return "The pool's serial number and product key were revoked; this session ended. Ask your IT department for the new pair.";
      case "expired": return "This session expired after going too long without a heartbeat.";
    }
  },

  noSuchPool: "No such pool.",
  noSuchSeat: "No seat with this id is in use in this pool.",
  badAdminKey: "The admin key is not valid for this pool.",
  seatsAreTheVendors: "Only the vendor can change the number of seats; ask your vendor's sales team for more seats.",

  // ---- the Worker: who is calling, limits, routes ----
  noAdminCredential: "Send the vendor token or the pool's admin key as Authorization: Bearer <credential>.",
  badAdminCredential: "The vendor token or admin key is not valid.",
  badSessionToken: "Send the session's token as Authorization: Bearer <token>; this one is missing, malformed or not for this session.",
  adminKeyNotEnough: "A pool admin key cannot do this; it needs the vendor token.",
  adminKeyOfAnotherPool: "This admin key belongs to another pool.",
  rateLimited: (seconds: number) =>
    `Too many failed attempts from this address. Wait ${seconds} seconds, then check the credentials before retrying.`,
  usageBackwards: "`from` must not be after `to`.",
  usageTooLong: (max: number, bucket: string) => `Ask for at most ${max} ${bucket} buckets at once.`,
  bodyTooLarge: (kib: number) => `Request bodies are limited to ${kib} KiB.`,
  notJson: "Send the body as JSON with content-type: application/json.",
  badJson: (why: string) => `The request body is not valid JSON (${why}).`,
  noRoute: (method: string, path: string) => `No route for ${method} ${path}.`,
  methodNotAllowed: (path: string, method: string, allowed: string[]) => `${path} does not serve ${method}; it serves ${allowed.join(", ")}.`,
  internalError: "Something went wrong on our side; the request may be retried.",
  noSuchWebhook: "No webhook with this id.",
  webhookUrlInvalid: "The webhook URL is not a valid absolute URL.",
  webhookUrlNotHttps: "A webhook URL must use https.",
  webhookUrlPrivate: (host: string) => `A webhook URL must not name a private, loopback or link-local address (${host}); use a public https address.`,
  upgradeRequired: "The live channel is a WebSocket: connect with Upgrade: websocket (a WebSocket client does), or use the heartbeat instead.",
} as const;
