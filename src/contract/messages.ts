/**
 * Every message the service's API gives a person, the pool object's and the Worker's, in
 * one place. A message is part of the answer a stranger sees, so two cases an attacker
 * must not tell apart (a pool that does not exist, a wrong product key) share one text,
 * byte for byte. The dashboard's page copy lives with its views.
 */
import type { EndReason } from "./errors.js";

/** A date as people write it, "31 March 2027" (UTC, the term's own zone). */
export function longDate(isoTime: string): string {
  return new Date(isoTime).toLocaleDateString("en-GB", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
}

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
  // ---- pool policy (issue 12) ----
  blocked: "Your IT department has blocked this user or computer from using this application. Ask your IT department if you need it.",
  poolInactive(term: "not_started" | "ended", validFrom: string | null, validUntil: string | null): string {
    return term === "not_started"
      ? `Your organisation's licence starts on ${longDate(validFrom!)}. Ask your IT department.`
      : `Your organisation's licence ended on ${longDate(validUntil!)}. Ask your IT department to renew it.`;
  },
  groupFull: (group: string, max: number) =>
    `All ${max} seats your IT department allows the group "${group}" are in use. Try again later, or ask your IT department.`,
  poolExpiring: (validUntil: string) => `Your organisation's licence ends on ${longDate(validUntil)}.`,
  policyInvalid: "These pool policy settings do not fit together; see details.issues.",

  tokenForeign: "The token does not belong to a session of this service.",
  sessionGone: "This session has ended and its record has expired.",
  sessionEnded(reason: EndReason): string {
    switch (reason) {
      case "released": return "This session was released.";
      case "freed": return "An administrator freed this seat. Start the application again to take a seat.";
      case "revoked": return "The pool's serial number and product key were revoked; this session ended. Ask your IT department for the new pair.";
      case "expired": return "This session expired after going too long without a heartbeat.";
      case "reclaimed": return "The seat was idle and someone was waiting, so it was given to them. Start the application again to take a seat.";
      case "lapsed": return "A seat was given to you from the queue but not picked up in time; it went to the next waiter.";
    }
  },

  noSuchPool: "No such pool.",
  noSuchSeat: "No seat with this id is in use in this pool.",
  badAdminKey: "The admin key is not valid for this pool.",
  termIsTheVendors: "Only the vendor can change the pool's term and overdraft; ask your vendor's sales team.",
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

  // ---- borrowing a seat to work offline ----
  borrowOff: "This pool does not allow borrowing a seat to work offline; ask your IT department to set maxBorrowDays.",
  borrowTooLong: (max: number) => `This pool lets a seat be borrowed for at most ${max} days.`,
  borrowLimit: (max: number) => `${max} seats of this pool are borrowed already, the most it allows. Return one, or ask your IT department.`,
  // ---- people: staff roles and pool admins ----
  roleMayNot: (role: string, what: string) => `The ${role} role may not ${what}; ask an owner of the vendor's staff.`,
  staffDisabled: "This staff member is disabled; ask an owner of the vendor's staff.",
  staffExists: (email: string) => `A staff member with the e-mail address ${email} exists already.`,
  noSuchStaff: "No staff member with this id.",
  noSuchAdmin: "No admin with this id in this pool.",
  lastAdmin: "This is the pool's last admin, so it cannot be removed: add another admin first.",
  // ---- waiting for a seat ----
  badTicketToken: "Send the ticket's token as Authorization: Bearer <token>; this one is missing, malformed or not for this ticket.",
  noSuchTicket: "No such ticket in this pool's queue.",
  selfReleaseOff: "This pool does not let users free their own seats; ask your IT department to free it.",
  noOwnSeat: "You hold no seat with this id in this pool.",
  seatActive: (machine: string) => `That seat is in use on ${machine} right now; close the application there, or ask your IT department to free it.`,
  ticketEnded: (state: string) => `This ticket is ${state}: check out again to wait for a seat.`,
  // ---- where a pool lives, and its data ----
  regionUnavailable: (region: string) =>
    `This service cannot reach the ${region.toUpperCase()} jurisdiction, and a pool placed there is never served from anywhere else. Ask the service's operator.`,
  onlyVendorDeletes: "Only the vendor can delete a pool.",
} as const;

/** 1st, 2nd, 3rd, 4th, 11th, 21st…: a place in the queue, as the CLI and the dashboard say it. */
export function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? "th" : ({ 1: "st", 2: "nd", 3: "rd" } as Record<number, string>)[n % 10] ?? "th";
  return `${n}${suffix}`;
}
