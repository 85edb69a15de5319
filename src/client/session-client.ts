/**
 * The client API: take a seat at start-up, hold it, give it back on close. Platform
 * neutral; where settings, identity and the journal come from is supplied by the Node
 * entry (node/client.ts) or the browser entry (browser.ts).
 */
import { z } from "zod";
import {
  BorrowResponse, CheckoutResponse, FreeSeatResponse, HeartbeatResponse, Jwks, LeaveQueueResponse, QueuedResponse, ReleaseResponse, SessionStatus,
  TicketResponse, type CheckoutRequest,
} from "../contract/index.js";
import type { MergedSettings, SettingName } from "./config.js";
import { requireSettings } from "./config.js";
import {
  InvalidRequestError, InvalidTokenError, LeaseRefusedError, NotFoundError, OfflineError, QueueAbortedError, SeatkeeperError, SessionEndedError, TicketEndedError,
} from "./errors.js";
import { verifyLease, type LeaseStore, type StoredLease } from "./lease.js";
import type { HeldSession, PendingRelease, SessionJournal } from "./journal.js";
import { liveUrl, LiveChannel, ticketLiveUrl, type LiveEnd, type LiveOptions, type LiveSocket, type LiveSocketConstructor, type LiveState } from "./live-channel.js";
import { jwksHasKey, tokenKeyId, verifySessionToken, type JwksCache, type JwksDocument, type SessionTokenClaims } from "./token.js";
import { Transport, type TransportOptions } from "./transport.js";

export interface HeartbeatOptions {
  /** How often to tell the service the session is alive (with the live channel on: while it is not open). Default 5 minutes. */
  intervalMs?: number;
  /** The seat was freed by an admin, ended by a credential revocation, or expired (as the top-level `onEnded`). */
  onEnded?(error: SessionEndedError): void;
  /** Any other failed heartbeat (offline, for instance); the heartbeat carries on. */
  onError?(error: SeatkeeperError): void;
}

/** Options every platform understands. Unset settings fall back to the platform's sources. */
export interface ClientOptions {
  url?: string;
  serial?: string;
  productKey?: string;
  /** Who users should ask about licences, shown with "all seats in use". */
  contact?: string;
  /** The pool group (department) to take seats of; default the setting (SEATKEEPER_GROUP, policy file, Group Policy `Group`). */
  group?: string;
  user?: string;
  machine?: string;
  /** The terminal session (Remote Desktop, Citrix); `null` to send none. */
  terminalSession?: string | null;
  /**
   * This machine's stable id, hashed before it is sent (machine-id.ts says why); `null` to
   * send none. Default: the setting (SEATKEEPER_MACHINE_ID, policy, Group Policy), else the
   * operating system's id.
   */
  machineId?: string | null;
  /** This application's version, checked against the pool's minimum. */
  clientVersion?: string;
  /** The id of this launch; one is generated when not given. */
  instance?: string;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
  timeoutMs?: number;
  /** Further checkout attempts when the service is unreachable or fails. Default 2. */
  retries?: number;
  fetch?: typeof fetch;
  heartbeat?: HeartbeatOptions;
  /**
   * The live channel: on by default where the platform has WebSockets, so `onEnded` fires
   * within a second of a free; `false` for HTTP heartbeats only (and only with `heartbeat`).
   */
  live?: boolean | LiveOptions;
  /** The session ended while held: freed by an admin, revoked, expired (`error.details.reason` as the service said it). */
  onEnded?(error: SessionEndedError): void;
  /**
   * The seat is idle and someone is waiting for one: it ends (reason `reclaimed`) at `deadline`
   * unless `setActive()` is called first. Told over the live channel only.
   */
  onReclaim?(deadline: Date): void;
  /** The reclaim told by `onReclaim` is off: the user is back, or nobody waits any more. */
  onReclaimCancelled?(): void;
  /** Record the held session so a later launch releases it if this process dies. Default true. */
  recoverAfterCrash?: boolean;
  /** Where to keep pending releases; the platform's default when not given. */
  journal?: SessionJournal;
  jwksCache?: JwksCache;
  /** Where a borrowed seat's lease is kept; the platform's default (beside the journal) when not given. */
  leases?: LeaseStore;
  /** The clock (ms), for offline starts on a borrowed seat; tests inject one. Default Date.now. */
  now?: () => number;
}

/** How `checkout()` behaves on a full pool. */
export interface CheckoutOptions {
  /** Wait in the pool's queue instead of failing with PoolFullError: the checkout resolves once a seat is given. */
  wait?: boolean;
  /** While waiting: the place in line (1 for the first) and how many wait, at first and on every change. */
  onQueued?(position: number, waiting: number): void;
  /** Stops waiting: the ticket is given up and the checkout rejects with QueueAbortedError (`name` "AbortError"). */
  signal?: AbortSignal;
  /** While the ticket's live channel is not open, how often to ask for the ticket's state; default 15 s plus up to 5 s of jitter (the service lapses a waiter not heard for 60 s). */
  pollIntervalMs?: number;
}

/** A checkout's answer; `offline` when no service was reachable and a borrowed seat's lease stood in. */
export type CheckoutResult = CheckoutResponse & { offline?: true; borrowedUntil?: string };

/** The settings and identity a client runs with, and where each setting came from. */
export interface ResolvedConfig extends MergedSettings {
  user: string;
  machine: string;
  terminalSession?: string;
  clientVersion?: string;
  /** The hashed machine id a checkout sends, if any. */
  machineId?: string;
  /** Where it came from, or why there is none. */
  machineIdSource: string;
}

/** What a platform supplies. */
export interface ClientPlatform {
  resolveConfig(): Promise<ResolvedConfig>;
  journal: SessionJournal;
  jwksCache: JwksCache;
  leases: LeaseStore;
  /** How to name the policy sources in "not configured" messages. */
  policyHint: string;
  /** Process id and host name, for crash recovery; absent where there are none. */
  process?: { pid: number; host: string };
  /** How this platform opens the live channel; absent where there are no WebSockets. */
  live?: { WebSocket?: LiveSocketConstructor; auth: "header" | "subprotocol"; opened?(socket: LiveSocket): void };
}

export type ReleaseResult = ReleaseResponse & {
  /** The service could not be reached; the release is journalled for the next checkout. */
  journaled?: true;
  /** The session is a borrowed seat: closing the application keeps it; `returnSeat()` gives it back. */
  borrowedUntil?: string;
};

export interface ReplayReport {
  /** Journalled sessions the service has now released. */
  released: string[];
  /** Journalled sessions that had already ended (or can never be released): dropped. */
  dropped: string[];
  /** Still unreachable: kept for next time. */
  kept: string[];
}

/** The session a client holds: its own checkout, or one attached from elsewhere. */
interface HeldRef {
  sessionId: string;
  token: string;
  url: string;
  checkout?: CheckoutResult;
}

const DEFAULT_RETRIES = 2;
/** A waiter is asked after about this long (plus jitter) while its ticket's channel is not open: well inside the service's 60 s. */
const TICKET_POLL_MS = 15_000;
const TICKET_POLL_JITTER_MS = 5_000;
/** The checkout's answer: a seat, or (with `wait: true` on a full pool) a ticket in the queue. */
const CheckoutOrQueued = z.union([CheckoutResponse, QueuedResponse]);
const RELEASE_TIMEOUT_MS = 5_000;
const REPLAY_TIMEOUT_MS = 5_000;

function newInstanceId(): string {
  return crypto.randomUUID();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class SeatkeeperClientCore {
  /** The id of this launch, sent with every checkout so retries never take a second session. */
  readonly instance: string;
  private resolved?: Promise<ResolvedConfig>;
  private transports = new Map<string, Transport>();
  private current?: HeldRef;
  /** How the last session ended, when the live channel told of it. */
  private endedSession: SessionEndedError | undefined;
  private heartbeatTimer?: ReturnType<typeof setInterval>;
  private heartbeatBusy = false;
  private channel?: LiveChannel;
  /** What the application last said of its user: idle since then, active (null), or nothing yet (undefined). */
  private idleSince: Date | null | undefined;

  constructor(protected readonly options: ClientOptions, private readonly platform: ClientPlatform) {
    this.instance = options.instance ?? newInstanceId();
  }

  /** The settings and identity this client uses (resolved once, on first use). */
  config(): Promise<ResolvedConfig> {
    if (!this.resolved) {
      this.resolved = this.platform.resolveConfig();
      this.resolved.catch(() => (this.resolved = undefined));
    }
    return this.resolved;
  }

  /** The answer of this client's checkout, while it holds the session. */
  get session(): CheckoutResponse | undefined {
    return this.current?.checkout;
  }

  /** The id of the session this client holds (checked out or attached), if any. */
  get sessionId(): string | undefined {
    return this.current?.sessionId;
  }

  private get journal(): SessionJournal {
    return this.options.journal ?? this.platform.journal;
  }

  private transport(url: string, timeoutMs?: number): Transport {
    const key = `${url}\n${timeoutMs ?? ""}`;
    let t = this.transports.get(key);
    if (!t) {
      const opts: TransportOptions = { url, headers: this.options.headers, timeoutMs: timeoutMs ?? this.options.timeoutMs, fetch: this.observingFetch() };
      t = new Transport(opts);
      this.transports.set(key, t);
    }
    return t;
  }

  private async need<K extends SettingName>(...names: K[]): Promise<Record<K, string> & ResolvedConfig> {
    const cfg = await this.config();
    const values = requireSettings(cfg, names, this.platform.policyHint);
    // Only the settings asked for: the configured machineId must not replace the hashed one checkouts send.
    const needed = Object.fromEntries(names.map((name) => [name, values[name]])) as Record<K, string>;
    return { ...cfg, ...needed };
  }

  /**
   * Takes a seat: first releases any sessions journalled by an earlier launch, then
   * checks out. Throws PoolFullError, OfflineError, InvalidCredentialsError and the rest.
   * With `wait: true` a full pool queues the client instead: it resolves when a seat is
   * given (the same session a plain checkout gives), or rejects with TicketEndedError
   * (the ticket lapsed or was removed) or, once `signal` aborts, QueueAbortedError.
   */
  async checkout(options: CheckoutOptions = {}): Promise<CheckoutResult> {
    if (options.signal?.aborted) throw new QueueAbortedError("", { cause: options.signal.reason });
    const cfg = await this.need("url", "serial", "productKey");
    await this.replayJournal().catch(() => undefined);
    const body: CheckoutRequest = {
      serial: cfg.serial,
      productKey: cfg.productKey,
      user: cfg.user,
      machine: cfg.machine,
      ...(cfg.terminalSession ? { terminalSession: cfg.terminalSession } : {}),
      ...(cfg.clientVersion ? { clientVersion: cfg.clientVersion } : {}),
      ...(cfg.machineId ? { machineId: cfg.machineId } : {}),
      ...(cfg.values.group ? { group: cfg.values.group } : {}),
      instance: this.instance,
      ...(options.wait ? { wait: true } : {}),
    };
    const transport = this.transport(cfg.url);
    const retries = this.options.retries ?? DEFAULT_RETRIES;
    let answer: z.infer<typeof CheckoutOrQueued>;
    for (let attempt = 0; ; attempt++) {
      try {
        answer = await transport.request("POST", "/v1/sessions", CheckoutOrQueued, { body });
        break;
      } catch (err) {
        if (err instanceof OfflineError && attempt >= retries) return this.startOffline(transport.url, cfg, err);
        if (!(err instanceof SeatkeeperError) || !err.retryable || attempt >= retries) throw err;
        await sleep(300 * 3 ** attempt);
      }
    }
    const response = "ticketId" in answer ? await this.waitForSeat(transport, answer, options) : answer;
    return this.adopt(transport, response);
  }

  /** A seat is this client's: held, journalled for crash recovery, kept present. */
  private async adopt(transport: Transport, response: CheckoutResponse): Promise<CheckoutResponse> {
    this.current = { sessionId: response.sessionId, token: response.token, url: transport.url, checkout: response };
    this.endedSession = undefined;
    if ((this.options.recoverAfterCrash ?? true) && this.platform.process) {
      const held: HeldSession = {
        url: transport.url,
        sessionId: response.sessionId,
        token: response.token,
        ...this.platform.process,
        startedAt: new Date().toISOString(),
      };
      await this.journal.recordHeld(held).catch(() => undefined);
    }
    await this.cacheJwks(transport.url, false).catch(() => undefined);
    await this.syncLease(transport.url).catch(() => undefined);
    this.startPresence();
    return response;
  }

  /**
   * Holds a queue ticket until a seat is given: over the ticket's live channel where it
   * opens, else by asking for the ticket's state often enough to count as present.
   */
  private waitForSeat(transport: Transport, queued: QueuedResponse, options: CheckoutOptions): Promise<CheckoutResponse> {
    const { ticketId, token } = queued;
    const path = `/v1/tickets/${encodeURIComponent(ticketId)}`;
    return new Promise<CheckoutResponse>((resolve, reject) => {
      let settled = false;
      let place: [number, number] | undefined;
      let channelOpen = false;
      let pollTimer: ReturnType<typeof setTimeout> | undefined;
      let polling = false;
      const told = (position: number, waiting: number) => {
        if (settled || (place && place[0] === position && place[1] === waiting)) return;
        place = [position, waiting];
        try {
          options.onQueued?.(position, waiting);
        } catch {
          // an application's callback must not stop the wait
        }
      };
      const finish = (outcome: { seat: CheckoutResponse } | { error: Error } | { leave: QueueAbortedError }) => {
        if (settled) return;
        settled = true;
        channel?.stop();
        if (pollTimer !== undefined) clearTimeout(pollTimer);
        options.signal?.removeEventListener("abort", onAbort);
        if ("seat" in outcome) resolve(outcome.seat);
        else if ("error" in outcome) reject(outcome.error);
        else {
          // out of the queue before the caller hears of it; a service not reached lapses the ticket within a minute anyway
          void this.transport(transport.url, RELEASE_TIMEOUT_MS).request("DELETE", path, LeaveQueueResponse, { bearer: token })
            .catch(() => undefined)
            .then(() => reject(outcome.leave));
        }
      };
      /** The ticket's state as the service answers it; a granted one is picked up by this very request. */
      const ask = async (): Promise<"alive" | "offline" | "ended"> => {
        if (settled) return "ended";
        try {
          const t = await transport.request("GET", path, TicketResponse, { bearer: token });
          if (t.state === "waiting") {
            if (t.position !== undefined && t.waiting !== undefined) told(t.position, t.waiting);
            return "alive";
          }
          const seat = t.state === "granted" ? CheckoutResponse.safeParse(t) : undefined;
          if (seat?.success) finish({ seat: seat.data });
          else finish({ error: new TicketEndedError(ticketId, t.state) });
          return "ended";
        } catch (err) {
          if (err instanceof NotFoundError || err instanceof InvalidTokenError) {
            finish({ error: new TicketEndedError(ticketId, "cancelled", err.status) });
            return "ended";
          }
          return "offline"; // unreachable for now: the next poll tries again
        }
      };
      const poll = async (): Promise<"alive" | "offline" | "ended"> => {
        if (polling) return "alive";
        polling = true;
        return ask().finally(() => (polling = false));
      };
      // Runs all along (and keeps the process alive while it waits); asks only while the channel is not open.
      const schedule = () => {
        if (settled) return;
        const every = options.pollIntervalMs ?? TICKET_POLL_MS + Math.floor(Math.random() * TICKET_POLL_JITTER_MS);
        pollTimer = setTimeout(() => {
          void (channelOpen ? Promise.resolve() : poll()).finally(schedule);
        }, every);
      };
      const onAbort = () => finish({ leave: new QueueAbortedError(ticketId, { cause: options.signal?.reason }) });
      options.signal?.addEventListener("abort", onAbort, { once: true });

      const live = this.options.live ?? true;
      const opts: LiveOptions = typeof live === "object" ? live : {};
      const WebSocket = opts.WebSocket ?? this.platform.live?.WebSocket;
      const channel =
        live === false || !WebSocket
          ? undefined
          : new LiveChannel({
              url: ticketLiveUrl(transport.url, ticketId),
              token,
              headers: this.options.headers,
              WebSocket,
              auth: opts.auth ?? this.platform.live?.auth ?? "subprotocol",
              opened: this.platform.live?.opened,
              // the application's onState and onMessage are its session's; the ticket's channel keeps to its own backoff
              options: { openTimeoutMs: opts.openTimeoutMs, pingIntervalMs: opts.pingIntervalMs, maxBackoffMs: opts.maxBackoffMs, refusedRetryMs: opts.refusedRetryMs },
              greetings: ["position", "granted"],
              host: {
                ended: (end) => {
                  // a 401/410 before the upgrade, or `ended`: the ticket's own state says which end it was
                  channelOpen = false;
                  void ask().then((outcome) => {
                    if (outcome !== "ended") finish({ error: new TicketEndedError(ticketId, end.reason, end.status) });
                  });
                },
                presence: (open) => {
                  channelOpen = open;
                  if (!open) void poll();
                },
                probe: poll,
                message: (m) => {
                  if (m.type === "position" && typeof m.position === "number" && typeof m.waiting === "number") told(m.position, m.waiting);
                  else if (m.type === "granted") {
                    // picked up by asking for the ticket's state; the message's own fields stand in if that fails
                    const fromMessage = CheckoutResponse.safeParse(m);
                    channel?.stop(); // the service closes it now: no reconnecting to a ticket that is done
                    channelOpen = false;
                    void ask().then((outcome) => {
                      if (outcome !== "ended" && fromMessage.success) finish({ seat: fromMessage.data });
                    });
                  } else return false;
                  return true;
                },
              },
            });
      told(queued.position, queued.waiting);
      if (options.signal?.aborted) return onAbort();
      schedule();
      channel?.start();
    });
  }

  /**
   * Frees a seat of this user's held on another machine or terminal session (one of
   * `ownSeatsOf(poolFullError)`), with the pool's serial and product key. Throws
   * SeatActiveError while its holder is connected and active, ForbiddenError where the
   * pool does not allow it, NotFoundError for a seat that is not this user's.
   */
  async releaseOwnSeat(seatId: string): Promise<FreeSeatResponse> {
    const cfg = await this.need("url", "serial", "productKey");
    return this.transport(cfg.url).request("POST", `/v1/seats/${encodeURIComponent(seatId)}/release`, FreeSeatResponse, {
      body: { serial: cfg.serial, productKey: cfg.productKey, user: cfg.user, machine: cfg.machine },
    });
  }

  /** Adopts a session taken elsewhere (another process, `seatkeeper checkout`), to release or inspect it. */
  attach(session: { sessionId: string; token: string; url: string }): void {
    this.stopPresence();
    this.current = { sessionId: session.sessionId, token: session.token, url: this.transport(session.url).url };
    this.endedSession = undefined;
  }

  /**
   * Gives the seat back. When the service cannot be reached, the release is journalled
   * and done by the next checkout; the result then says `journaled: true`.
   */
  async release(): Promise<ReleaseResult> {
    // The channel first: the service's "ended: released" is for other holders, not news to us.
    this.stopPresence();
    const s = this.current;
    if (!s) return { released: false };
    const { sessionId, token } = s;
    const borrowed = await this.leases.load(s.url).catch(() => undefined);
    if (borrowed?.sessionId === sessionId) {
      // closing the application keeps a borrowed seat: only `returnSeat()` gives it back
      await this.forget(sessionId);
      return { released: false, borrowedUntil: borrowed.until };
    }
    try {
      const out = await this.transport(s.url, Math.min(this.options.timeoutMs ?? RELEASE_TIMEOUT_MS, RELEASE_TIMEOUT_MS)).request(
        "DELETE", `/v1/sessions/${encodeURIComponent(sessionId)}`, ReleaseResponse, { bearer: token },
      );
      await this.forget(sessionId);
      return out;
    } catch (err) {
      if (err instanceof SeatkeeperError && err.retryable) {
        const entry: PendingRelease = { url: s.url, sessionId, token, recordedAt: new Date().toISOString(), cause: "offline" };
        await this.journal.addPendingRelease(entry);
        await this.forget(sessionId);
        return { released: false, journaled: true };
      }
      if (err instanceof InvalidTokenError) await this.forget(sessionId);
      throw err;
    }
  }

  /**
   * Borrows the seat this client holds for `days`, to work offline: the service keeps it
   * until `until`, and the lease is stored (beside the journal) so that a later checkout
   * with no service reachable starts on it. Throws BorrowNotAllowedError, BorrowLimitError.
   */
  async borrow(days: number): Promise<BorrowResponse> {
    const s = this.requireSession();
    const out = await this.transport(s.url).request("POST", `/v1/sessions/${encodeURIComponent(s.sessionId)}/borrow`, BorrowResponse, {
      bearer: s.token, body: { days },
    });
    await this.cacheJwks(s.url, true);
    const pool = s.checkout?.pool ?? { poolId: "", seats: 0, inUse: 0 };
    await this.leases.save({
      url: s.url, sessionId: s.sessionId, token: s.token, lease: out.lease, until: out.until, seatId: out.seatId, pool,
      latestSeenAt: Math.max(this.clock(), this.serviceTime ?? 0),
    });
    // the borrowed session is kept by the service, not by this process: a crash must not release it
    await this.journal.removeHeld(s.sessionId).catch(() => undefined);
    this.stopHeartbeat();
    return out;
  }

  /** The borrowed seat stored for the service, if any. */
  async borrowed(): Promise<StoredLease | undefined> {
    return this.leases.load(this.transport((await this.need("url")).url).url);
  }

  /**
   * Gives a borrowed seat back before `until`: released now, or, with no service reachable,
   * journalled and handed back by the next online start. The lease is dropped either way.
   */
  async returnSeat(): Promise<ReleaseResult & { returned: boolean }> {
    const lease = await this.borrowed();
    if (!lease) return { released: false, returned: false };
    await this.leases.remove(lease.url);
    this.attach({ sessionId: lease.sessionId, token: lease.token, url: lease.url });
    return { ...(await this.release()), returned: true };
  }

  /** Marks the session as seen. Throws SessionEndedError (with `reason`) once it has ended. */
  async heartbeat(): Promise<HeartbeatResponse> {
    const s = this.requireSession();
    try {
      // idleness rides on the heartbeat once the application has said anything of it
      const idle = this.idleSince;
      return await this.transport(s.url).request("POST", `/v1/sessions/${encodeURIComponent(s.sessionId)}/heartbeat`, HeartbeatResponse, {
        bearer: s.token, ...(idle === undefined ? {} : { body: { idleSince: idle === null ? null : idle.toISOString() } }),
      });
    } catch (err) {
      if (err instanceof SessionEndedError) await this.forget(s.sessionId);
      throw err;
    }
  }

  /** The session and its seat, as the service sees it now. */
  async status(): Promise<SessionStatus> {
    const s = this.requireSession();
    return this.transport(s.url).request("GET", `/v1/sessions/${encodeURIComponent(s.sessionId)}`, SessionStatus, {
      bearer: s.token,
    });
  }

  /**
   * Verifies a session token (by default this client's) against the service's keys,
   * offline when they are cached; fetches them when a key is new to the cache.
   */
  async verifyToken(token?: string): Promise<SessionTokenClaims> {
    const t = token ?? this.requireSession().token;
    const url = this.current?.url ?? (await this.need("url")).url;
    const base = this.transport(url).url;
    let jwks = await this.jwksCache.load(base);
    if (!jwks || !jwksHasKey(jwks, tokenKeyId(t))) {
      try {
        jwks = await this.cacheJwks(base, true);
      } catch (err) {
        if (!(err instanceof OfflineError) || !jwks) throw err;
      }
    }
    return verifySessionToken(t, jwks!);
  }

  /**
   * Releases every journalled session it can reach: those closed offline, and those
   * held by processes on this machine that died without releasing.
   */
  async replayJournal(): Promise<ReplayReport> {
    const report: ReplayReport = { released: [], dropped: [], kept: [] };
    for (const orphan of await this.journal.orphanedHeld()) {
      await this.journal.addPendingRelease({ url: orphan.url, sessionId: orphan.sessionId, token: orphan.token, recordedAt: new Date().toISOString(), cause: "crashed" });
      await this.journal.removeHeld(orphan.sessionId);
    }
    const pending = await this.journal.pendingReleases();
    await Promise.all(
      pending.map(async (entry) => {
        try {
          const out = await this.transport(entry.url, Math.min(this.options.timeoutMs ?? REPLAY_TIMEOUT_MS, REPLAY_TIMEOUT_MS)).request(
            "DELETE", `/v1/sessions/${encodeURIComponent(entry.sessionId)}`, ReleaseResponse, { bearer: entry.token },
          );
          await this.journal.removePendingRelease(entry.sessionId);
          (out.released ? report.released : report.dropped).push(entry.sessionId);
        } catch (err) {
          // A token the service will never accept can never be released: keeping it would only retry forever.
          if (err instanceof InvalidTokenError || err instanceof NotFoundError || err instanceof InvalidRequestError) {
            await this.journal.removePendingRelease(entry.sessionId);
            report.dropped.push(entry.sessionId);
          } else {
            report.kept.push(entry.sessionId);
          }
        }
      }),
    );
    return report;
  }

  /** What the live channel is doing: `off` when it is not used (or no seat is held). */
  get liveState(): LiveState | "off" {
    return this.channel?.state ?? "off";
  }

  /**
   * Tells the service the user stopped using the application (for idle reclaim and
   * self-release). Sent over the live channel now (true), else carried by the next HTTP
   * heartbeat (false); said again whenever the channel reopens.
   */
  setIdle(since: Date = new Date()): boolean {
    this.idleSince = since;
    return this.channel?.send({ type: "idle", since: since.toISOString() }) ?? false;
  }

  /** Tells the service the user is back (a reclaim told by `onReclaim` is then called off); true when sent over the channel now. */
  setActive(): boolean {
    this.idleSince = null;
    return this.channel?.send({ type: "active" }) ?? false;
  }

  /** Stops the live channel and the background heartbeat without releasing. */
  close(): void {
    this.stopPresence();
  }

  private get leases(): LeaseStore {
    return this.options.leases ?? this.platform.leases;
  }

  private clock(): number {
    return (this.options.now ?? Date.now)();
  }

  /** The service's clock from the last answer's `Date` header. */
  private serviceTime?: number;

  /** The fetch a transport uses, noting the service's `Date` header: a clock the user cannot set back. */
  private observingFetch(): typeof fetch {
    const inner = this.options.fetch ?? ((input, init) => fetch(input, init));
    return async (input, init) => {
      const res = await inner(input, init);
      const date = Date.parse(res.headers.get("date") ?? "");
      if (Number.isFinite(date)) this.serviceTime = Math.max(this.serviceTime ?? 0, date);
      return res;
    };
  }

  /**
   * No service reachable: start on the stored lease when it verifies for this identity and
   * machine, marked `offline`; else a LeaseRefusedError (or the OfflineError when there is none).
   */
  private async startOffline(url: string, cfg: ResolvedConfig, offline: OfflineError): Promise<CheckoutResult> {
    const stored = await this.leases.load(url).catch(() => undefined);
    if (!stored) throw offline;
    const now = this.clock();
    try {
      await verifyLease(stored, await this.jwksCache.load(url), cfg, now);
    } catch (err) {
      if (err instanceof LeaseRefusedError) Object.defineProperty(err, "cause", { value: offline });
      throw err;
    }
    await this.leases.save({ ...stored, latestSeenAt: Math.max(stored.latestSeenAt, now) });
    const result: CheckoutResult = {
      sessionId: stored.sessionId, token: stored.token, seatId: stored.seatId, seatShared: false, pool: stored.pool,
      offline: true, borrowedUntil: stored.until,
    };
    this.current = { sessionId: stored.sessionId, token: stored.token, url, checkout: result };
    this.endedSession = undefined;
    return result;
  }

  /**
   * After an online start: a borrowed seat an admin freed (or that expired) is forgotten, and
   * the latest time seen moves on, so a clock set back later is caught.
   */
  private async syncLease(url: string): Promise<void> {
    const stored = await this.leases.load(url).catch(() => undefined);
    if (!stored) return;
    let ended = false;
    try {
      const st = await this.transport(url).request("GET", `/v1/sessions/${encodeURIComponent(stored.sessionId)}`, SessionStatus, { bearer: stored.token });
      ended = !st.active;
    } catch (err) {
      ended = err instanceof SessionEndedError || err instanceof InvalidTokenError;
    }
    if (ended) return this.leases.remove(url);
    const latest = Math.max(stored.latestSeenAt, this.clock(), this.serviceTime ?? 0);
    if (latest > stored.latestSeenAt) await this.leases.save({ ...stored, latestSeenAt: latest });
  }

  private get jwksCache(): JwksCache {
    return this.options.jwksCache ?? this.platform.jwksCache;
  }

  /** Fetches and caches the key set; with `force` false, only when none is cached yet. */
  private async cacheJwks(url: string, force: boolean): Promise<JwksDocument> {
    if (!force) {
      const cached = await this.jwksCache.load(url);
      if (cached) return cached;
    }
    const jwks = await this.transport(url).request("GET", "/.well-known/jwks.json", Jwks);
    await this.jwksCache.save(url, jwks);
    return jwks;
  }

  private requireSession(): HeldRef {
    // the channel told of the end first: a later call hears the same reason, as it would from the service
    if (!this.current && this.endedSession) throw this.endedSession;
    if (!this.current) throw new SeatkeeperError("no_session", "This client holds no session: check a seat out first.");
    return this.current;
  }

  private async forget(sessionId: string): Promise<void> {
    if (this.current?.sessionId === sessionId) {
      this.current = undefined;
      this.stopPresence();
    }
    await this.journal.removeHeld(sessionId).catch(() => undefined);
  }

  /** The live channel where there is one, else HTTP heartbeats when asked for. */
  private startPresence(): void {
    const s = this.current;
    const live = this.options.live ?? true;
    const opts: LiveOptions = typeof live === "object" ? live : {};
    const WebSocket = opts.WebSocket ?? this.platform.live?.WebSocket;
    if (!s || live === false || !WebSocket) {
      if (this.options.heartbeat) this.startHeartbeat(this.options.heartbeat.intervalMs);
      return;
    }
    const channel = new LiveChannel({
      url: liveUrl(s.url, s.sessionId),
      token: s.token,
      headers: this.options.headers,
      WebSocket,
      auth: opts.auth ?? this.platform.live?.auth ?? "subprotocol",
      opened: this.platform.live?.opened,
      options: opts,
      host: {
        ended: (end) => void this.endedOnChannel(s.sessionId, end),
        presence: (open) => {
          if (open) {
            this.stopHeartbeat();
            // a new socket starts active on the service's side
            if (this.idleSince) channel.send({ type: "idle", since: this.idleSince.toISOString() });
          } else if (opts.heartbeatFallback ?? true) this.startHeartbeat(this.options.heartbeat?.intervalMs);
        },
        probe: () => this.probe(),
        message: (m) => {
          if (m.type === "reclaim") {
            const deadline = new Date(typeof m.deadline === "string" ? m.deadline : NaN);
            this.tellApplication(() => this.options.onReclaim?.(deadline));
          } else if (m.type === "reclaim_cancelled") {
            this.tellApplication(() => this.options.onReclaimCancelled?.());
          } else return false;
          return true;
        },
      },
    });
    this.channel = channel;
    channel.start();
  }

  private stopPresence(): void {
    this.channel?.stop();
    this.channel = undefined;
    this.stopHeartbeat();
  }

  /** One heartbeat on the channel's behalf: it tells a refused channel from an ended session or an unreachable service. */
  private async probe(): Promise<"alive" | "offline" | "ended"> {
    try {
      await this.beatOnce();
      return this.current ? "alive" : "ended";
    } catch {
      return this.current ? "offline" : "ended";
    }
  }

  private async endedOnChannel(sessionId: string, end: LiveEnd): Promise<void> {
    if (this.current?.sessionId !== sessionId) return;
    const message = end.message ?? `The session ended: ${end.reason}.`;
    const error = new SessionEndedError("session_ended", message, end.status ?? 410, { reason: end.reason });
    // known before the session is forgotten, so a call made meanwhile hears the reason too
    this.endedSession = error;
    await this.forget(sessionId);
    this.tellEnded(error);
  }

  private tellApplication(callback: () => void): void {
    try {
      callback();
    } catch {
      // an application's callback must not break the channel
    }
  }

  private tellEnded(error: SessionEndedError): void {
    for (const callback of [this.options.onEnded, this.options.heartbeat?.onEnded]) {
      try {
        callback?.(error);
      } catch {
        // an application's callback must not stop the others
      }
    }
  }

  private startHeartbeat(intervalMs = 5 * 60_000): void {
    if (this.heartbeatTimer !== undefined) return;
    const timer = setInterval(() => void this.beatOnce().catch(() => undefined), intervalMs);
    if (typeof timer === "object" && timer !== null && "unref" in timer) timer.unref();
    this.heartbeatTimer = timer;
  }

  /** A background heartbeat: an end is told to the application, other failures to `onError` (and rethrown). */
  private async beatOnce(): Promise<void> {
    if (this.heartbeatBusy || !this.current) return;
    this.heartbeatBusy = true;
    try {
      await this.heartbeat();
    } catch (err) {
      if (err instanceof SessionEndedError) {
        this.stopPresence();
        this.tellEnded(err);
      } else if (err instanceof SeatkeeperError) {
        this.options.heartbeat?.onError?.(err);
      }
      throw err;
    } finally {
      this.heartbeatBusy = false;
    }
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer !== undefined) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }
}
