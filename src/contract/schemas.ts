/**
 * Every request and answer of the public contract (shared/api.md), as zod schemas.
 * The Worker validates with them, /openapi.json is generated from them, and the SDK
 * types itself from them: one schema per shape.
 */
import { z } from "zod";
import { errorCodes, endReasons } from "./errors.js";
import { dottedVersion, text } from "./text.js";

// ---- shared pieces ---------------------------------------------------------

export const Seats = z.number().int().min(0).max(1_000_000).describe("concurrent seats the customer bought");
export const StaleAfterHours = z
  .number()
  .int()
  .min(1)
  .max(24 * 365)
  .describe("end a seat after this many hours without a heartbeat; null (the default) keeps it until released or freed");
export const MaxSessionsPerSeat = z.number().int().min(1).max(100).describe("how many sessions (running copies) one seat may carry; default 10");
export const MaxAddressesPerSeat = z.number().int().min(1).max(100).describe("from how many client addresses one seat's sessions may come before it is flagged; default 3");
export const Timestamp = z.string().describe("ISO 8601, UTC");
const PoolId = z.string().describe("the pool's id: 16 characters of Crockford base32, starting with G (or E: a pool in the EU jurisdiction)");

/** Where a pool's object lives: anywhere (`global`), or only in Cloudflare's EU jurisdiction. */
export const regions = ["global", "eu"] as const;
export type Region = (typeof regions)[number];
/** Where Cloudflare should first place a new pool's object (Durable Object location hints). */
export const locationHints = ["wnam", "enam", "sam", "weur", "eeur", "apac", "oc", "afr", "me"] as const;
export type LocationHint = (typeof locationHints)[number];
export const RegionSchema = z.enum(regions).describe("`eu`: the pool's object and all it holds stay in Cloudflare's EU jurisdiction; `global` (the default): anywhere");
export const LocationHintSchema = z.enum(locationHints).describe("where the pool's object is first placed, near its users: wnam, enam, sam, weur, eeur, apac, oc, afr, me");
export const RetentionDays = z.number().int().min(7).max(400).describe("how many days ended sessions, ended seats and events are kept; default 90");
const SeatId = z.string().describe("the seat's id");
const SessionId = z.string().describe("the session's id");

export const ErrorResponse = z
  .object({
    error: z.object({
      code: z.enum(errorCodes).describe("stable and machine-readable: switch on this, not on the message"),
      message: z.string().describe("for people: what went wrong and what to do"),
      details: z.record(z.string(), z.unknown()).optional().describe("facts a program can use, such as `seats` and `inUse` of `pool_full`"),
    }),
  })
  .meta({
    id: "ErrorResponse",
    description: "Every error has this shape.",
    example: { error: { code: "pool_full", message: "All 5 seats of this pool are in use.", details: { seats: 5, inUse: 5 } } },
  });

export const PoolSummary = z.object({
  poolId: PoolId,
  seats: z.number().int().describe("seats the pool has"),
  inUse: z.number().int().describe("seats held right now"),
});

/**
 * A value of an answer that later versions may extend: the known values are listed for
 * the documentation, and any other string is accepted, so a client built today does not
 * reject an answer from a newer service.
 */
function openEnum<T extends readonly [string, ...string[]]>(values: T, what: string) {
  return z.union([z.enum(values), z.string().describe(`a ${what} added after this version`)]);
}

export const EndReasonSchema = openEnum(endReasons, "reason");

// ---- client API -------------------------------------------------------------

export const CheckoutRequest = z
  .object({
    serial: z.string().min(1).max(100).describe("the pool's serial number; any letter case, dashes optional"),
    productKey: z.string().min(1).max(100).describe("the pool's product key; any letter case, dashes optional"),
    user: text(256).describe("who is running the application, e.g. the Windows user name"),
    machine: text(256).describe("the computer it runs on"),
    terminalSession: text(128).optional().describe("the Remote Desktop or Citrix session; each is its own identity"),
    clientVersion: dottedVersion.optional().describe("the application's version, checked against the pool's minClientVersion"),
    instance: text(128).optional().describe("an id chosen for this launch: a retried checkout with it returns the same session"),
    machineId: text(128).optional().describe("a stable fingerprint of the machine (Windows' MachineGuid): a seat taken with one is joined only from that machine"),
    group: text(128).optional().describe("the client's group (department) of the pool's `groups`, for its reserved and capped seats"),
    wait: z.boolean().optional().describe("on a full pool, join the queue (202 with a ticket) instead of 409 pool_full"),
  })
  .meta({
    example: {
      serial: "SK-GK3M-9Q2X-B4TN-8W1R-1C",
      productKey: "7KQ2M-X9D4R-TN8W1-B4ZPF-3HJ6V",
      user: "jsmith",
      machine: "PC-0042",
      terminalSession: "RDP-Tcp#12",
      clientVersion: "16.0.2",
      instance: "9f1c2e7a-5b1d-4c38-a2f0-6d3e8b7c1a44",
      machineId: "4c4c4544-0042-3510-8052-b4c04f4d3732",
    },
  });

export const CheckoutResponse = z
  .object({
    sessionId: SessionId,
    token: z.string().describe("a JWT (EdDSA) for this session's release, heartbeat and status; verifiable with the JWKS"),
    seatId: SeatId,
    seatShared: z.boolean().describe("true when the identity already held a seat and this session joined it"),
    pool: PoolSummary.extend({
      validUntil: Timestamp.nullable().optional().describe("when the pool's term ends; null for no end"),
    }),
    overdraft: z.boolean().optional().describe("true when this seat was granted beyond the pool's seats, from its overdraftSeats"),
    warnings: z
      .array(z.object({ code: z.string().describe("`pool_expiring`, or one added later"), validUntil: Timestamp.optional() }))
      .optional()
      .describe("things the user should know; `pool_expiring` within 14 days of the term's end"),
  })
  .meta({
    example: {
      sessionId: "ses_4k9m2q7x1b8t3n6wz0c5ha",
      token: "eyJhbGciOiJFZERTQSIsImtpZCI6IjIwMjYtMDQiLCJ0eXAiOiJKV1QifQ.eyJzdWIiOiJzZXNfNGs5bSJ9.c2lnbmF0dXJl",
      seatId: "seat_8w1r4tn9q2xb7m",
      seatShared: false,
      pool: { poolId: "GK3M9Q2XB4TN8W1R", seats: 5, inUse: 3 },
    },
  });

export const SessionPath = z.object({ sessionId: z.string().min(1).max(100).describe("the session's id, from the checkout") });

export const BorrowRequest = z.object({
  days: z.number().int().min(1).max(90).describe("how many days to borrow the seat for, at most the pool's maxBorrowDays"),
}).meta({ example: { days: 7 } });

export const BorrowResponse = z.object({
  lease: z.string().describe("a JWT signed like session tokens (typ lease), verified offline with the JWKS"),
  until: Timestamp.describe("when the borrowed seat comes back to the pool"),
  seatId: z.string(),
}).meta({ example: { lease: "eyJhbGciOiJFZERTQSJ9.eyJ0eXAiOiJsZWFzZSJ9.c2ln", until: "2026-04-27T09:30:00.000Z", seatId: "seat_8w1r4tn9q2xb7m" } });

export const ReleaseResponse = z.object({
  released: z.boolean().describe("true when this call ended the session; false when it had already ended"),
  seatFreed: z.boolean().optional().describe("true when the seat returned to the pool (this was its last session)"),
  reason: EndReasonSchema.optional().describe("why the session had already ended"),
  pool: PoolSummary.optional(),
}).meta({ example: { released: true, seatFreed: true, pool: { poolId: "GK3M9Q2XB4TN8W1R", seats: 5, inUse: 2 } } });

/** An ISO 8601 time a client sends. */
const PolicyTimeOf = (description: string) =>
  z.string().max(40).refine((v) => /^\d{4}-\d{2}-\d{2}T/.test(v) && !Number.isNaN(Date.parse(v)), { error: "must be an ISO 8601 time such as 2026-04-20T11:32:00Z" }).describe(description);

export const HeartbeatRequest = z
  .object({
    idleSince: PolicyTimeOf("when the user stopped using the application (ISO 8601); null: in use again").nullable().optional(),
  })
  .meta({ example: { idleSince: "2026-04-20T11:32:00.000Z" } });

export const HeartbeatResponse = z.object({ active: z.literal(true), pool: PoolSummary }).meta({ example: { active: true, pool: { poolId: "GK3M9Q2XB4TN8W1R", seats: 5, inUse: 2 } } });

export const SessionStatus = z.object({
  sessionId: SessionId,
  seatId: SeatId,
  user: z.string(),
  machine: z.string(),
  terminalSession: z.string().nullable(),
  clientVersion: z.string().nullable(),
  startedAt: Timestamp,
  lastSeenAt: Timestamp,
  active: z.boolean().describe("false once the session was released, freed, revoked or expired"),
  endedAt: Timestamp.nullable().optional(),
  reason: EndReasonSchema.nullable().optional().describe("why the session ended"),
}).meta({
  example: {
    sessionId: "ses_4k9m2q7x1b8t3n6wz0c5ha",
    seatId: "seat_8w1r4tn9q2xb7m",
    user: "jsmith",
    machine: "PC-0042",
    terminalSession: "RDP-Tcp#12",
    clientVersion: "16.0.2",
    startedAt: "2026-04-20T08:01:12.000Z",
    lastSeenAt: "2026-04-20T11:46:03.000Z",
    active: true,
    endedAt: null,
    reason: null,
  },
});

// ---- waiting for a seat -------------------------------------------------------

const TicketId = z.string().describe("the ticket's id (`tkt_…`)");

export const QueuedResponse = z
  .object({
    ticketId: TicketId,
    token: z.string().describe("a JWT (EdDSA, `typ` `ticket`) for this ticket's state, live channel and leaving"),
    position: z.number().int().describe("place in line, 1 for the first"),
    waiting: z.number().int().describe("how many wait"),
    pool: PoolSummary,
  })
  .meta({ example: { ticketId: "tkt_8w1r4tn9q2xb7m3k6zc0ha", token: "eyJhbGciOiJFZERTQSIsInR5cCI6InRpY2tldCJ9.e30.c2ln", position: 3, waiting: 5, pool: { poolId: "GK3M9Q2XB4TN8W1R", seats: 5, inUse: 5 } } });

export const TicketPath = z.object({ ticketId: z.string().min(1).max(100).describe("the ticket's id, from the checkout") });

export const TicketResponse = z
  .object({
    ticketId: TicketId,
    state: z.union([z.enum(["waiting", "granted", "lapsed", "cancelled"]), z.string().describe("a state added after this version")]),
    position: z.number().int().optional().describe("while waiting: place in line"),
    waiting: z.number().int().optional().describe("while waiting: how many wait"),
    sessionId: SessionId.optional().describe("once granted: the checkout's fields"),
    token: z.string().optional().describe("once granted: the session's token"),
    seatId: SeatId.optional(),
    seatShared: z.boolean().optional(),
    pool: PoolSummary.optional(),
  })
  .meta({ example: { ticketId: "tkt_8w1r4tn9q2xb7m3k6zc0ha", state: "waiting", position: 2, waiting: 5 } });

export const LeaveQueueResponse = z.object({ left: z.boolean().describe("false when the ticket had already ended or its seat was picked up") }).meta({ example: { left: true } });

export const QueueResponse = z
  .object({
    waiting: z.array(z.object({
      ticketId: TicketId,
      user: z.string(),
      machine: z.string(),
      terminalSession: z.string().nullable(),
      since: Timestamp,
      position: z.number().int(),
    })),
  })
  .meta({ example: { waiting: [{ ticketId: "tkt_8w1r4tn9q2xb7m3k6zc0ha", user: "jsmith", machine: "PC-0042", terminalSession: null, since: "2026-04-20T09:12:00.000Z", position: 1 }] } });

export const RemoveFromQueueResponse = z.object({ removed: z.literal(true) }).meta({ example: { removed: true } });

// ---- releasing your own seat ---------------------------------------------------

export const SelfReleaseRequest = z
  .object({
    serial: z.string().min(1).max(100).describe("the pool's serial number"),
    productKey: z.string().min(1).max(100).describe("the pool's product key"),
    user: text(256).describe("the seat's user: only one's own seat can be freed"),
    machine: text(256).describe("the machine asking, for the audit log"),
  })
  .meta({ example: { serial: "SK-GK3M-9Q2X-B4TN-8W1R-1C", productKey: "7KQ2M-X9D4R-TN8W1-B4ZPF-3HJ6V", user: "jsmith", machine: "LAPTOP-7" } });
export const SelfReleasePath = z.object({ seatId: z.string().min(1).max(100).describe("the seat's id, from `details.ownSeats` of a pool_full") });

// ---- admin API --------------------------------------------------------------

export const PoolPath = z.object({ poolId: z.string().min(1).max(64).describe("the pool's id; any letter case") });
export const QueueTicketPath = PoolPath.extend({ ticketId: z.string().min(1).max(100).describe("the waiter's ticket id, from the queue") });
export const SeatPath = PoolPath.extend({ seatId: z.string().min(1).max(100).describe("the seat's id, from the seat list") });

const Customer = text(200).describe("the customer's name, as the vendor's staff know it");
const MaxBorrowDays = z.number().int().min(1).max(90).describe("the longest a seat may be borrowed for offline use, 1 to 90 days; null (the default) turns borrowing off");
const MaxBorrowedSeats = z.number().int().min(0).max(100_000).describe("how many seats may be borrowed at once; null (the default): no limit");
const RefuseWidelySharedSeats = z.boolean().describe("refuse a checkout that would spread a seat over more addresses than maxAddressesPerSeat, instead of only flagging it");
const Domain = z.string().trim().toLowerCase().min(1).max(253).regex(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/, { error: "must be a domain such as example.com" });
/** A pool's own OpenID Connect provider: its admins sign in to the dashboard with their organisation's accounts. */
export const SsoSettings = z.object({
  issuer: z.url({ protocol: /^https?$/ }).max(500).describe("the provider's issuer URL, as its discovery document names it"),
  clientId: z.string().min(1).max(200),
  clientSecret: z.string().min(1).max(500).optional().describe("stored to redeem codes; never shown again"),
  allowedDomains: z.array(Domain).min(1).max(20).describe("only verified e-mail addresses in these domains may sign in"),
});
export const SsoView = SsoSettings.omit({ clientSecret: true });
const SelfRelease = z.boolean().describe("users may free their own seat held on another machine (POST /v1/seats/{seatId}/release); default true");
const MinClientVersion = dottedVersion.describe("refuse clients older than this dotted version; null lets every version in");

// ---- pool policy (issue 12) ----
const PolicyTime = z
  .string()
  .max(40)
  .refine((s) => /^\d{4}-\d{2}-\d{2}/.test(s) && !Number.isNaN(Date.parse(s)), { error: "must be an ISO 8601 time such as 2027-03-31T23:59:59Z" });
const OverdraftSeats = z.number().int().min(0).max(1_000_000).describe("checkouts granted beyond `seats`, marked overdraft: true");
export const BlockEntry = z
  .object({
    user: text(256).optional().describe("a user name; a trailing * matches any rest"),
    machine: text(256).optional().describe("a machine name; a trailing * matches any rest"),
    note: text(500).optional().describe("why, for the admins"),
  })
  .strict();
export const GroupSettings = z
  .object({
    reserved: z.number().int().min(0).max(1_000_000).optional().describe("seats kept free for this group"),
    max: z.number().int().min(0).max(1_000_000).optional().describe("the most seats this group may hold"),
  })
  .strict();
const Blocked = z.array(BlockEntry).max(1000).describe("users and machines refused with 403 blocked; blocking ends nobody's session");
const Groups = z
  .record(text(128), GroupSettings)
  .refine((g) => Object.keys(g).length <= 200, { error: "at most 200 groups" })
  .describe("groups (departments) by name, with reserved and max seats; reserved adds up to at most `seats`");
const GroupFigures = z.object({ reserved: z.number().int().nullable(), max: z.number().int().nullable(), inUse: z.number().int() });

export const CreatePoolRequest = z
  .object({
    customer: Customer,
    seats: Seats,
    minClientVersion: MinClientVersion.nullable().optional(),
    staleAfterHours: StaleAfterHours.nullable().optional(),
    maxSessionsPerSeat: MaxSessionsPerSeat.default(10),
    maxAddressesPerSeat: MaxAddressesPerSeat.default(3),
    refuseWidelySharedSeats: RefuseWidelySharedSeats.default(false),
    selfRelease: SelfRelease.default(true),
    region: RegionSchema.default("global"),
    locationHint: LocationHintSchema.nullable().optional(),
    retentionDays: RetentionDays.default(90),
  })
  .meta({ example: { customer: "Acme Ltd", seats: 25, minClientVersion: "16.0", staleAfterHours: null } });

const poolExample = {
  poolId: "GK3M9Q2XB4TN8W1R",
  customer: "Acme Ltd",
  seats: 25,
  inUse: 3,
  serial: "SK-GK3M-9Q2X-B4TN-8W1R-1C",
  minClientVersion: "16.0",
  staleAfterHours: null,
  maxSessionsPerSeat: 10,
  maxAddressesPerSeat: 3,
  refuseWidelySharedSeats: false,
  createdAt: "2026-04-20T09:30:00.000Z",
  region: "global",
  locationHint: null,
  retentionDays: 90,
  alertThresholdPercent: 90,
};

const AlertThresholdPercent = z.number().int().min(1).max(100).describe("send `pool.usage_high` when this percentage of the seats is in use; default 90");

export const PoolDetails = z
  .object({
    poolId: PoolId,
    customer: z.string(),
    seats: z.number().int().describe("seats the pool has"),
    inUse: z.number().int().describe("seats held right now"),
    serial: z.string().describe("the current serial number (it changes when the credentials are reissued)"),
    minClientVersion: z.string().nullable(),
    staleAfterHours: z.number().int().nullable(),
    maxSessionsPerSeat: z.number().int(),
    maxAddressesPerSeat: z.number().int(),
    refuseWidelySharedSeats: z.boolean(),
    maxBorrowDays: z.number().int().nullable().optional().describe("the longest a seat may be borrowed for, in days; null: borrowing is off"),
    maxBorrowedSeats: z.number().int().nullable().optional().describe("how many seats may be borrowed at once; null: no limit"),
    sso: SsoView.nullable().optional().describe("the pool's single sign-on for its admins, without the client secret"),
    selfRelease: z.boolean().optional().describe("users may free their own seat held on another machine"),
    createdAt: Timestamp,
    validFrom: Timestamp.nullable().optional(),
    validUntil: Timestamp.nullable().optional(),
    overdraftSeats: z.number().int().nullable().optional(),
    blocked: z.array(BlockEntry).nullable().optional(),
    groups: z.record(z.string(), GroupFigures).nullable().optional().describe("each group's reserved, max and the seats it holds now"),
    // defaults, and any region string, so a client of this version still reads a 1.0 service's answers, or a newer one's
    region: openEnum(regions, "region").default("global").describe("where the pool's object lives: `global` or `eu`"),
    locationHint: LocationHintSchema.or(z.string()).nullable().default(null).describe("the location hint it was created with, or null"),
    retentionDays: z.number().int().default(90).describe("days ended sessions, ended seats and events are kept"),
    alertThresholdPercent: z.number().int().default(90).describe("`pool.usage_high` is sent when this percentage of the seats is in use"),
    reclaimIdleMinutes: z.number().int().nullable().optional().describe("while someone waits, a seat idle this long is warned and then taken back; null: never"),
    reclaimGraceMinutes: z.number().int().optional().describe("how long a warned idle seat has to become active before it is taken back"),
  })
  .meta({ example: poolExample });

export const CreatePoolResponse = PoolDetails.extend({
  productKey: z.string().describe("shown once, here: give it to the customer with the serial number"),
  adminKey: z.string().describe("shown once, here: the customer's IT department manages the pool with it"),
}).meta({
  example: { ...poolExample, inUse: 0, productKey: "7KQ2M-X9D4R-TN8W1-B4ZPF-3HJ6V", adminKey: "AK-GK3M-9Q2X-B4TN-8W1R-Q4M8Z-2XK7T-N9B3W-5RJ1D-H6PVC" },
});

export const PoolListResponse = z.object({
  pools: z.array(z.object({
    poolId: PoolId, customer: z.string(), seats: z.number().int(), inUse: z.number().int(),
    region: openEnum(regions, "region").default("global"), locationHint: LocationHintSchema.or(z.string()).nullable().default(null),
  })),
  next: z.string().nullable().optional().describe("pass as `after` for the next page; null on the last page"),
}).meta({ example: { pools: [{ poolId: "GK3M9Q2XB4TN8W1R", customer: "Acme Ltd", seats: 25, inUse: 3, region: "global", locationHint: null }], next: null } });

export const PoolListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).optional().describe("pools per page (default 100)"),
  after: z.string().max(64).optional().describe("the `next` of the previous page"),
});

export const UpdatePoolRequest = z
  .object({
    seats: Seats.optional().describe("the vendor alone may change it; lowering it below the seats in use ends no one's session"),
    customer: Customer.optional(),
    minClientVersion: MinClientVersion.nullable().optional(),
    staleAfterHours: StaleAfterHours.nullable().optional(),
    maxSessionsPerSeat: MaxSessionsPerSeat.optional(),
    maxAddressesPerSeat: MaxAddressesPerSeat.optional(),
    refuseWidelySharedSeats: z.boolean().optional(),
    maxBorrowDays: MaxBorrowDays.nullable().optional(),
    maxBorrowedSeats: MaxBorrowedSeats.nullable().optional(),
    sso: SsoSettings.nullable().optional().describe("the pool's own identity provider for its admins' dashboard sign-in; null turns it off"),
    validFrom: PolicyTime.nullable().optional().describe("vendor only: checkouts before it are 403 pool_inactive"),
    validUntil: PolicyTime.nullable().optional().describe("vendor only: checkouts from it on are 403 pool_inactive; warned 14 days before"),
    overdraftSeats: OverdraftSeats.nullable().optional().describe("vendor only"),
    blocked: Blocked.nullable().optional(),
    groups: Groups.nullable().optional(),
    selfRelease: SelfRelease.optional(),
    reclaimIdleMinutes: z.number().int().min(1).max(1440).nullable().optional().describe("while someone waits, take back a seat all of whose sessions have been idle this many minutes (1 to 1440); null: never"),
    reclaimGraceMinutes: z.number().int().min(0).max(60).optional().describe("minutes between the `reclaim` warning and the taking back (0 to 60; 0: at once); default 5"),
    retentionDays: RetentionDays.optional(),
    alertThresholdPercent: AlertThresholdPercent.optional(),
  })
  .refine((o) => Object.keys(o).length > 0, { error: "name at least one setting to change" })
  .meta({ example: { seats: 30 } });

export const SeatSession = z.object({
  sessionId: z.string(),
  clientVersion: z.string().nullable(),
  startedAt: Timestamp,
  lastSeenAt: Timestamp,
});

export const Seat = z.object({
  seatId: z.string(),
  user: z.string(),
  machine: z.string(),
  terminalSession: z.string().nullable(),
  since: Timestamp,
  lastSeenAt: Timestamp,
  sessions: z.array(SeatSession),
  sharedFromAddresses: z.boolean().describe("its sessions came from more client addresses than the pool's maxAddressesPerSeat"),
  borrowedUntil: Timestamp.nullable().optional().describe("when a seat borrowed to work offline comes back; null when it is not borrowed"),
  group: z.string().nullable().optional().describe("the group the seat was taken for (as compared: folded), or null"),
  connected: z.boolean().optional().describe("a live channel of the seat is open"),
  idleSince: Timestamp.nullable().optional().describe("since when all the seat's sessions are idle (live channel `idle` or heartbeat `idleSince`); null while one is in use or unheard of"),
});

export const SeatsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).optional().describe("seats per page, 1 to 500; default 100"),
  cursor: z.string().max(100).optional().describe("the `next` of the page before"),
  q: z.string().max(256).optional().describe("only seats whose user or machine contains this, compared as identities are"),
});

export const SeatsResponse = z.object({
  seats: z.array(Seat),
  next: z.string().nullable().describe("the cursor of the next page, or null on the last"),
  total: z.number().int().describe("seats in use that match `q` (all of them without it)"),
}).meta({
  example: {
    seats: [
      {
        seatId: "seat_8w1r4tn9q2xb7m",
        user: "jsmith",
        machine: "PC-0042",
        terminalSession: "RDP-Tcp#12",
        since: "2026-04-20T08:01:12.000Z",
        lastSeenAt: "2026-04-20T11:46:03.000Z",
        sessions: [{ sessionId: "ses_4k9m2q7x1b8t3n6wz0c5ha", clientVersion: "16.0.2", startedAt: "2026-04-20T08:01:12.000Z", lastSeenAt: "2026-04-20T11:46:03.000Z" }],
        sharedFromAddresses: false,
      },
    ],
    next: null,
    total: 1,
  },
});

export const FreeSeatResponse = z.object({ freed: z.literal(true), pool: PoolSummary }).meta({ example: { freed: true, pool: { poolId: "GK3M9Q2XB4TN8W1R", seats: 5, inUse: 2 } } });

export const RotateCredentialsRequest = z
  .object({
    endSessions: z.boolean().optional().describe("false (the default): running sessions carry on; true: they all end with reason `revoked`"),
  })
  .meta({ example: { endSessions: false } });
export const RotateCredentialsResponse = z.object({
  serial: z.string().describe("the new serial number"),
  productKey: z.string().describe("the new product key, shown once"),
  sessionsEnded: z.number().int().describe("sessions ended by `endSessions: true`"),
}).meta({ example: { serial: "SK-GK3M-9Q2X-B4TN-8W1R-2D", productKey: "M3T8Q-Z1K6W-R9D2N-X4B7H-P5CJV", sessionsEnded: 0 } });

export const AdminKeyResponse = z
  .object({ adminKey: z.string().describe("the new admin key, shown once") })
  .meta({ example: { adminKey: "AK-GK3M-9Q2X-B4TN-8W1R-T7W2K-9XQ4M-B1R8N-3ZD6H-V5JPC" } });

export const eventTypes = [
  "pool_created",
  "checkout",
  "denied",
  "release",
  "freed",
  "expired",
  "revoked",
  "credentials_rotated",
  "admin_key_rotated",
  "pool_updated",
  "auth_failed",
  "seat_shared_widely",
  "borrowed",
  "returned",
  "admin_added",
  "admin_removed",
  "queued",
  "granted",
  "lapsed",
  "left_queue",
  "erased",
  "reclaimed",
] as const;

export const PoolEvent = z.object({
  id: z.string(),
  at: Timestamp,
  type: openEnum(eventTypes, "type"),
  actor: z.string().nullable(),
  seatId: z.string().nullable(),
  sessionId: z.string().nullable(),
  user: z.string().nullable(),
  machine: z.string().nullable(),
  terminalSession: z.string().nullable(),
  details: z.record(z.string(), z.unknown()).nullable(),
});

export const EventsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).optional().describe("events per page (default 50)"),
  before: z.string().regex(/^\d{1,15}$/, { error: "must be an event id" }).optional().describe("the `next` of the previous page"),
});

export const EventsResponse = z.object({
  events: z.array(PoolEvent),
  next: z.string().nullable().describe("pass as `before` for the next (older) page; null on the last page"),
}).meta({
  example: {
    events: [
      {
        id: "1042",
        at: "2026-04-20T08:01:12.000Z",
        type: "checkout",
        actor: null,
        seatId: "seat_8w1r4tn9q2xb7m",
        sessionId: "ses_4k9m2q7x1b8t3n6wz0c5ha",
        user: "jsmith",
        machine: "PC-0042",
        terminalSession: "RDP-Tcp#12",
        details: { seatShared: false, clientVersion: "16.0.2" },
      },
    ],
    next: "1042",
  },
});

const isoDate = z.string().refine((s) => !Number.isNaN(Date.parse(s)), { error: "must be an ISO 8601 time" });
export const UsageQuery = z.object({
  from: isoDate.optional().describe("ISO 8601; default 23 hours (hourly) or 29 days (daily) before `to`"),
  to: isoDate.optional().describe("ISO 8601; default now"),
  bucket: z.enum(["hour", "day"]).optional().describe("bucket size (default hour)"),
});

export const UsageBucket = z.object({
  start: Timestamp,
  peakInUse: z.number().int().describe("the most seats held at once in the bucket"),
  checkouts: z.number().int().describe("sessions started"),
  denials: z.number().int().describe("checkouts refused with `pool_full`"),
  overdraftPeak: z.number().int().optional().describe("the most overdraft seats (beyond `seats`) granted at once in the bucket"),
  waits: z.number().int().optional().describe("waiters given a seat from the queue (from 1.1)"),
  maxWaitSeconds: z.number().int().optional().describe("the longest of those waits, in seconds (from 1.1)"),
});
export const UsageResponse = z.object({ bucket: z.enum(["hour", "day"]), buckets: z.array(UsageBucket) }).meta({
  example: {
    bucket: "hour",
    buckets: [
      { start: "2026-04-20T08:00:00.000Z", peakInUse: 4, checkouts: 9, denials: 0 },
      { start: "2026-04-20T09:00:00.000Z", peakInUse: 5, checkouts: 6, denials: 2 },
    ],
  },
});

// ---- where a pool lives, and its data ----------------------------------------

export const ErasureRequest = z
  .object({
    user: text(256).describe("whose names to remove, compared as identities are (case, width and zero-width characters ignored)"),
    machine: text(256).optional().describe("only that user's records on this machine"),
  })
  .meta({ example: { user: "jsmith", machine: "PC-0042" } });

export const ErasureResponse = z
  .object({
    records: z.number().int().describe("records that changed: the sum of those below"),
    seats: z.number().int().describe("ended seats whose names were replaced by `erased`"),
    sessions: z.number().int().describe("ended sessions of those seats whose address and instance were removed"),
    events: z.number().int().describe("events whose names were replaced by `erased`"),
    tickets: z.number().int().default(0).describe("ended queue tickets whose names were replaced by `erased`"),
    deliveries: z.number().int().default(0).describe("webhook deliveries whose payload's names were replaced by `erased`"),
  })
  .meta({ example: { records: 15, seats: 3, sessions: 4, events: 7, tickets: 0, deliveries: 1 } });

export const DeletePoolResponse = z
  .object({ deleted: z.literal(true), poolId: PoolId })
  .meta({ example: { deleted: true, poolId: "GK3M9Q2XB4TN8W1R" } });

export const ExportPoolRecord = PoolDetails.extend({ kind: z.literal("pool") });
export const ExportSeatRecord = z.object({
  kind: z.literal("seat"),
  seatId: z.string(),
  user: z.string(),
  machine: z.string(),
  terminalSession: z.string().nullable(),
  machineId: z.string().nullable().describe("the machine fingerprint the seat was taken with, folded"),
  since: Timestamp,
  lastSeenAt: Timestamp,
  endedAt: Timestamp.nullable(),
  sessions: z.number().int().describe("its active sessions"),
  sharedFromAddresses: z.boolean(),
});
export const ExportSessionRecord = z.object({
  kind: z.literal("session"),
  sessionId: z.string(),
  seatId: z.string(),
  instance: z.string().nullable(),
  clientVersion: z.string().nullable(),
  address: z.string().nullable().describe("the client address it was checked out from"),
  startedAt: Timestamp,
  lastSeenAt: Timestamp,
  endedAt: Timestamp.nullable(),
  reason: EndReasonSchema.nullable(),
});
export const ExportEventRecord = PoolEvent.extend({ kind: z.literal("event") });
export const ExportUsageRecord = z.object({
  kind: z.literal("usage"),
  hour: Timestamp,
  peakInUse: z.number().int(),
  lastInUse: z.number().int().describe("seats in use at the end of the hour"),
  checkouts: z.number().int(),
  denials: z.number().int(),
});
export const ExportRecord = z
  .discriminatedUnion("kind", [ExportPoolRecord, ExportSeatRecord, ExportSessionRecord, ExportEventRecord, ExportUsageRecord])
  .meta({
    id: "ExportRecord",
    description: "One line of an export: the pool first, then its seats, sessions, events and hourly usage. No secret or hash is ever exported.",
  });

// ---- public -----------------------------------------------------------------

export const HealthResponse = z.object({ ok: z.literal(true) }).meta({ example: { ok: true } });
export const Jwks = z
  .object({ keys: z.array(z.record(z.string(), z.unknown())).describe("public JWKs (Ed25519), each with its `kid`") })
  .meta({ example: { keys: [{ kty: "OKP", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", kid: "2026-04", use: "sig", alg: "EdDSA" }] } });

// ---- people: vendor staff and pool admins -------------------------------------

/** The vendor's staff roles, from most to least: see the role matrix in durable-objects/decisions.ts. */
export const staffRoles = ["owner", "sales", "support", "viewer"] as const;
export const StaffRole = z.enum(staffRoles).describe("owner: everything and staff; sales: also creates pools and changes seats; support: also frees seats and rotates credentials and admin keys; viewer: reads every pool");
const Email = z.string().trim().min(3).max(254).regex(/^[^\s@]+@[^\s@]+$/, { error: "must be an e-mail address" });
const PersonName = text(200);
export const StaffPath = z.object({ staffId: z.string().min(1).max(64).describe("the staff member's id") });
export const AdminPath = PoolPath.extend({ adminId: z.string().min(1).max(64).describe("the pool admin's id, from the admin list") });

export const CreateStaffRequest = z
  .object({ email: Email.describe("names the person; their identity provider's verified `email` signs them in"), name: PersonName, role: StaffRole })
  .meta({ example: { email: "jo@vendor.example", name: "Jo Bloggs", role: "support" } });

export const StaffMember = z.object({
  staffId: z.string(),
  email: z.string(),
  name: z.string(),
  role: StaffRole,
  disabled: z.boolean(),
  createdAt: Timestamp,
}).meta({ example: { staffId: "SF7KQ2MX9D4RTN", email: "jo@vendor.example", name: "Jo Bloggs", role: "support", disabled: false, createdAt: "2026-04-20T09:30:00.000Z" } });

const staffExample = { staffId: "SF7KQ2MX9D4RTN", email: "jo@vendor.example", name: "Jo Bloggs", role: "support" as const };
export const CreateStaffResponse = z
  .object({ staffId: z.string(), email: z.string(), name: z.string(), role: StaffRole, token: z.string().describe("shown once, here: the person's own vendor credential") })
  .meta({ example: { ...staffExample, token: "ST-7KQ2M-X9D4R-TN8W1-B4ZPF-3HJ6V" } });

export const StaffListResponse = z
  .object({ staff: z.array(StaffMember) })
  .meta({ example: { staff: [{ ...staffExample, disabled: false, createdAt: "2026-04-20T09:30:00.000Z" }] } });

export const UpdateStaffRequest = z
  .object({ role: StaffRole.optional(), disabled: z.boolean().optional().describe("a disabled person's token and dashboard sessions stop working at once"), name: PersonName.optional() })
  .refine((o) => Object.keys(o).length > 0, { error: "name at least one field to change" })
  .meta({ example: { disabled: true } });

export const StaffTokenResponse = z
  .object({ staffId: z.string(), token: z.string().describe("shown once, here; the previous token stops working") })
  .meta({ example: { staffId: staffExample.staffId, token: "ST-Q4M8Z-2XK7T-N9B3W-5RJ1D-H6PVC" } });

export const CreateAdminRequest = z
  .object({ name: PersonName.describe("who this key is for, as the audit log names them"), email: Email.optional() })
  .meta({ example: { name: "Sam at Acme IT", email: "sam@acme.example" } });

export const CreateAdminResponse = z
  .object({ adminId: z.string(), name: z.string(), email: z.string().nullable(), adminKey: z.string().describe("shown once, here") })
  .meta({ example: { adminId: "ADQ4M8Z2XK7TN9", name: "Sam at Acme IT", email: "sam@acme.example", adminKey: "AK-GK3M-9Q2X-B4TN-8W1R-Q4M8Z-2XK7T-N9B3W-5RJ1D-H6PVC" } });

export const PoolAdmin = z.object({ adminId: z.string(), name: z.string(), email: z.string().nullable(), createdAt: Timestamp });
export const AdminListResponse = z
  .object({ admins: z.array(PoolAdmin) })
  .meta({ example: { admins: [{ adminId: "AD3F09A1C2B4D6", name: "first admin", email: null, createdAt: "2026-04-20T09:30:00.000Z" }] } });

export const RemovedResponse = z.object({ removed: z.literal(true) }).meta({ example: { removed: true } });

// ---- types ------------------------------------------------------------------

export type CheckoutRequest = z.infer<typeof CheckoutRequest>;
export type CheckoutResponse = z.infer<typeof CheckoutResponse>;
export type ReleaseResponse = z.infer<typeof ReleaseResponse>;
export type BorrowRequest = z.infer<typeof BorrowRequest>;
export type BorrowResponse = z.infer<typeof BorrowResponse>;
export type HeartbeatResponse = z.infer<typeof HeartbeatResponse>;
export type HeartbeatRequest = z.infer<typeof HeartbeatRequest>;
export type SessionStatus = z.infer<typeof SessionStatus>;
export type PoolSummary = z.infer<typeof PoolSummary>;
export type CreatePoolRequest = z.infer<typeof CreatePoolRequest>;
export type CreatePoolResponse = z.infer<typeof CreatePoolResponse>;
export type PoolDetails = z.infer<typeof PoolDetails>;
export type PoolListResponse = z.infer<typeof PoolListResponse>;
export type UpdatePoolRequest = z.infer<typeof UpdatePoolRequest>;
export type Seat = z.infer<typeof Seat>;
export type SeatsResponse = z.infer<typeof SeatsResponse>;
export type SeatsQuery = z.infer<typeof SeatsQuery>;
export type FreeSeatResponse = z.infer<typeof FreeSeatResponse>;
export type RotateCredentialsResponse = z.infer<typeof RotateCredentialsResponse>;
export type AdminKeyResponse = z.infer<typeof AdminKeyResponse>;
export type PoolEvent = z.infer<typeof PoolEvent>;
export type EventType = (typeof eventTypes)[number];
export type EventsResponse = z.infer<typeof EventsResponse>;
export type UsageResponse = z.infer<typeof UsageResponse>;
export type UsageBucket = z.infer<typeof UsageBucket>;
export type ErrorResponse = z.infer<typeof ErrorResponse>;
export type StaffRole = (typeof staffRoles)[number];
export type SsoSettings = z.infer<typeof SsoSettings>;
export type StaffMember = z.infer<typeof StaffMember>;
export type PoolAdmin = z.infer<typeof PoolAdmin>;
export type CreateStaffRequest = z.infer<typeof CreateStaffRequest>;
export type UpdateStaffRequest = z.infer<typeof UpdateStaffRequest>;
export type CreateAdminRequest = z.infer<typeof CreateAdminRequest>;
export type QueuedResponse = z.infer<typeof QueuedResponse>;
export type TicketResponse = z.infer<typeof TicketResponse>;
export type QueueResponse = z.infer<typeof QueueResponse>;
export type ErasureRequest = z.infer<typeof ErasureRequest>;
export type ErasureResponse = z.infer<typeof ErasureResponse>;
export type DeletePoolResponse = z.infer<typeof DeletePoolResponse>;
export type ExportRecord = z.infer<typeof ExportRecord>;
export type ExportSeatRecord = z.infer<typeof ExportSeatRecord>;
export type ExportSessionRecord = z.infer<typeof ExportSessionRecord>;
export type ExportEventRecord = z.infer<typeof ExportEventRecord>;
export type ExportUsageRecord = z.infer<typeof ExportUsageRecord>;

// ---- webhooks (1.1) -----------------------------------------------------------

export const webhookEventTypes = [
  "pool.usage_high", "pool.denied", "seat.freed", "seat.reclaimed", "credentials.rotated", "pool.expiring", "queue.waiting",
] as const;
export type WebhookEventType = (typeof webhookEventTypes)[number];

export const WebhookPath = PoolPath.extend({ webhookId: z.string().min(1).max(100).describe("the webhook's id") });
export const VendorWebhookPath = z.object({ webhookId: z.string().min(1).max(100).describe("the webhook's id") });

export const CreateWebhookRequest = z
  .object({
    url: z.string().min(1).max(2048).describe("where deliveries are POSTed: https, and not a private, loopback or link-local address"),
    events: z.array(z.enum(webhookEventTypes)).min(1).max(webhookEventTypes.length).describe("the event types to send"),
  })
  .meta({ example: { url: "https://it.example.com/seatkeeper", events: ["pool.usage_high", "pool.denied"] } });

export const Webhook = z.object({
  webhookId: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  createdAt: Timestamp,
});
export const CreateWebhookResponse = Webhook.extend({
  secret: z.string().describe("`whsec_…`, shown once, here: verify each delivery's `webhook-signature` with it"),
}).meta({
  example: { webhookId: "wh_4k2m9q2xb4tn8w1r", url: "https://it.example.com/seatkeeper", events: ["pool.usage_high"], createdAt: "2026-04-20T09:30:00.000Z", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" },
});
export const WebhookListResponse = z.object({ webhooks: z.array(Webhook) }).meta({
  example: { webhooks: [{ webhookId: "wh_4k2m9q2xb4tn8w1r", url: "https://it.example.com/seatkeeper", events: ["pool.usage_high"], createdAt: "2026-04-20T09:30:00.000Z" }] },
});
export const RemoveWebhookResponse = z.object({ removed: z.literal(true) }).meta({ example: { removed: true } });

export const Delivery = z.object({
  id: z.string().describe("the `webhook-id` header, the same on every retry"),
  type: z.string(),
  at: Timestamp,
  attempts: z.number().int(),
  status: z.enum(["pending", "delivered", "failed"]),
  lastError: z.string().nullable(),
});
export const DeliveriesResponse = z.object({ deliveries: z.array(Delivery).describe("the latest 100, newest first") }).meta({
  example: { deliveries: [{ id: "msg_2x8k4m9q2xb4tn8w1r6d3hj0", type: "pool.usage_high", at: "2026-04-20T09:31:00.000Z", attempts: 2, status: "delivered", lastError: null }] },
});

export type CreateWebhookRequest = z.infer<typeof CreateWebhookRequest>;
export type Webhook = z.infer<typeof Webhook>;
export type Delivery = z.infer<typeof Delivery>;

// ---- seat advice (1.1) --------------------------------------------------------

export const AdviceQuery = z.object({
  days: z.coerce.number().int().min(1).max(62).optional().describe("how many days of hourly usage to judge by (default 30, at most 62)"),
});
export const AdviceResponse = z.object({
  seats: z.number().int(),
  recommendedSeats: z.number().int(),
  basis: z.object({
    days: z.number().int(),
    peakInUse: z.number().int(),
    p95InUse: z.number().int().describe("95th percentile of the hourly peak, over the hours with any seat in use"),
    hoursAtFull: z.number().int(),
    denials: z.number().int(),
    deniedHours: z.number().int(),
    waits: z.number().int(),
    maxWaitSeconds: z.number().int(),
  }),
  message: z.string().describe("why, in one or two plain sentences"),
}).meta({
  example: {
    seats: 10, recommendedSeats: 12,
    basis: { days: 30, peakInUse: 10, p95InUse: 10, hoursAtFull: 40, denials: 14, deniedHours: 6, waits: 0, maxWaitSeconds: 0 },
    message: "14 people were turned away in 6 working hours at full use, on 4 different days in 30 days. 2 more seats would have served them.",
  },
});
export type AdviceResponse = z.infer<typeof AdviceResponse>;

// ---- a seat the user holds elsewhere, as `details.ownSeats` of a pool_full lists it ----------

export const OwnSeat = z.object({
  seatId: z.string(),
  machine: z.string(),
  terminalSession: z.string().nullable(),
  since: z.string(),
  lastSeenAt: z.string(),
  connected: z.boolean().describe("its holder has a live channel open (it may still be idle, and so freeable)"),
});
export type OwnSeat = z.infer<typeof OwnSeat>;
