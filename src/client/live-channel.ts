/**
 * The client side of the live channels (`GET /v1/sessions/{id}/live`, and a queue ticket's
 * `GET /v1/tickets/{id}/live`): keeps one WebSocket
 * open so the service can say at once that the seat was freed, reconnects with backoff
 * and full jitter, and tells its host when HTTP heartbeats must stand in (a proxy that
 * refuses WebSockets, the service unreachable). Platform neutral: the socket constructor
 * is injected (Node: the `ws` package with an Authorization header; browsers: the native
 * WebSocket with the `bearer.<token>` subprotocol). Talks back through a small host.
 */

/** The subprotocol a browser names beside its `bearer.<token>`. */
export const LIVE_SUBPROTOCOL = "seatkeeper.v1";

/** The part of a WebSocket this module uses: the WHATWG API, which `ws` implements too. */
export interface LiveSocket {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: "open" | "close" | "error" | "message", listener: (event: any) => void): void;
  /** `ws` only: the upgrade was answered with an HTTP response instead of 101. */
  on?(event: "unexpected-response", listener: (req: { destroy(): void }, res: UpgradeResponse) => void): unknown;
  /** `ws` only: drops the connection without a closing handshake. */
  terminate?(): void;
}

interface UpgradeResponse {
  statusCode?: number;
  setEncoding(encoding: "utf8"): void;
  on(event: "data", listener: (chunk: string) => void): unknown;
  on(event: "end" | "error" | "close", listener: () => void): unknown;
}

/** `new WebSocket(url, protocols)` (browsers) or `new WebSocket(url, options)` (`ws`). */
export type LiveSocketConstructor = new (url: string, protocolsOrOptions?: string[] | { headers: Record<string, string> }) => LiveSocket;

/** What the channel is doing now. `fallback`: not open, HTTP heartbeats keep the seat. */
export type LiveState = "connecting" | "open" | "fallback" | "closed";

export interface LiveOptions {
  /** The WebSocket constructor; default `ws` in Node, the native one in browsers. */
  WebSocket?: LiveSocketConstructor;
  /** How the token is sent: a header (Node) or the subprotocol (browsers). Default per platform. */
  auth?: "header" | "subprotocol";
  /** Give up on an attempt that has not opened by then (a server that accepts the connection and never answers). Default 10 s. */
  openTimeoutMs?: number;
  /** How often to send the keep-alive `ping`. Default 45 s. */
  pingIntervalMs?: number;
  /** The longest wait between reconnection attempts. Default 30 s. */
  maxBackoffMs?: number;
  /** How long to wait before trying again once something in between refused the channel. Default 5 minutes. */
  refusedRetryMs?: number;
  /** Send HTTP heartbeats while the channel is not open. Default true. */
  heartbeatFallback?: boolean;
  /** The channel opened, dropped, or fell back to heartbeats. */
  onState?(state: LiveState): void;
  /** A message of a type this SDK does not handle itself (a newer service's). */
  onMessage?(message: { type: string } & Record<string, unknown>): void;
}

/** The end of the session as the channel learnt it: the `ended` message, or a 401/410 before the upgrade. */
export interface LiveEnd {
  reason: string;
  status?: number;
  code?: string;
  message?: string;
}

/** What the channel needs from the client holding the session. */
export interface LiveHost {
  /** The session ended: the host forgets it and tells the application. */
  ended(end: LiveEnd): void;
  /** The channel is open (true) or not (false): HTTP heartbeats stop or start. */
  presence(open: boolean): void;
  /** One HTTP heartbeat, to tell why an open failed where the platform cannot see the answer (browsers). */
  probe(): Promise<"alive" | "offline" | "ended">;
  /** A message besides `hello` and `ended`; true when the host handled it (else it goes to `onMessage`). */
  message?(message: { type: string } & Record<string, unknown>): boolean;
}

export const DEFAULT_PING_MS = 45_000;
const DEFAULT_OPEN_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_BACKOFF_MS = 30_000;
const DEFAULT_REFUSED_RETRY_MS = 5 * 60_000;
const BASE_BACKOFF_MS = 500;
/** A socket that has not finished closing by then is dropped. */
const CLOSE_GRACE_MS = 1_000;
const OPEN = 1;

/** `https://host` → `wss://host/v1/sessions/{id}/live`. */
export function liveUrl(serviceUrl: string, sessionId: string): string {
  return `${serviceUrl.replace(/^http/, "ws")}/v1/sessions/${encodeURIComponent(sessionId)}/live`;
}

/** `https://host` → `wss://host/v1/tickets/{id}/live`: a queue ticket's channel. */
export function ticketLiveUrl(serviceUrl: string, ticketId: string): string {
  return `${serviceUrl.replace(/^http/, "ws")}/v1/tickets/${encodeURIComponent(ticketId)}/live`;
}

/** Full jitter: anywhere between 0 and the capped exponential step. */
export function backoffDelay(failures: number, maxMs: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(maxMs, BASE_BACKOFF_MS * 2 ** failures));
}

function unref<T>(timer: T): T {
  if (typeof timer === "object" && timer !== null && "unref" in timer) (timer as { unref(): void }).unref();
  return timer;
}

export interface LiveChannelSetup {
  url: string;
  token: string;
  /** Extra headers (header auth only: browsers cannot set any). */
  headers?: Record<string, string>;
  WebSocket: LiveSocketConstructor;
  auth: "header" | "subprotocol";
  /** Called with each socket once open (Node unrefs it, so an open channel alone does not keep the process alive). */
  opened?(socket: LiveSocket): void;
  options: LiveOptions;
  host: LiveHost;
  /** The message types that show the channel works (default `hello`; a ticket's channel opens with `position`). */
  greetings?: readonly string[];
}

export class LiveChannel {
  private socket?: LiveSocket;
  private attempt = 0;
  private failures = 0;
  private retryTimer?: ReturnType<typeof setTimeout>;
  private openTimer?: ReturnType<typeof setTimeout>;
  private pingTimer?: ReturnType<typeof setInterval>;
  private heardSincePing = true;
  private everOpened = false;
  private stopped = false;
  private current: LiveState = "connecting";

  constructor(private readonly setup: LiveChannelSetup) {}

  get state(): LiveState {
    return this.current;
  }

  start(): void {
    this.connect();
  }

  /** Sends a JSON message if the channel is open; answers whether it was sent. */
  send(message: Record<string, unknown>): boolean {
    if (!this.socket || this.socket.readyState !== OPEN) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  /** Closes the channel for good (release, close, an end): no event fires after this. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.attempt++;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.clearOpenTimer();
    this.stopPing();
    const s = this.socket;
    this.socket = undefined;
    if (s) closeQuietly(s);
    this.setState("closed");
  }

  private setState(state: LiveState): void {
    if (state === this.current) return;
    this.current = state;
    try {
      this.setup.options.onState?.(state);
    } catch {
      // an application's callback must not break the channel
    }
  }

  private connect(): void {
    if (this.stopped) return;
    this.retryTimer = undefined;
    const attempt = ++this.attempt;
    const live = () => attempt === this.attempt && !this.stopped;
    const { url, token, auth, WebSocket } = this.setup;
    let socket: LiveSocket;
    try {
      socket =
        auth === "subprotocol"
          ? new WebSocket(url, [LIVE_SUBPROTOCOL, `bearer.${token}`])
          : new WebSocket(url, { headers: { ...this.setup.headers, authorization: `Bearer ${token}` } });
    } catch {
      this.failed(false);
      return;
    }
    this.socket = socket;
    let opened = false;
    let answered = false;
    this.openTimer = unref(
      setTimeout(() => {
        if (!live() || opened || answered) return;
        this.attempt++; // what this socket does from here on is no longer news
        this.socket = undefined;
        closeQuietly(socket);
        this.failed(Boolean(socket.on));
      }, this.setup.options.openTimeoutMs ?? DEFAULT_OPEN_TIMEOUT_MS),
    );
    // `ws` lets us read the refusal (401, 410, a proxy's 403); a browser sees only a close.
    socket.on?.("unexpected-response", (req, res) => {
      answered = true;
      this.clearOpenTimer();
      let body = "";
      const done = () => {
        req.destroy();
        socket.terminate?.();
        if (!live()) return;
        this.socket = undefined;
        this.refused(res.statusCode ?? 0, body);
      };
      res.setEncoding("utf8");
      res.on("data", (chunk) => {
        if (body.length < 16_384) body += chunk;
      });
      res.on("end", done);
      res.on("error", done);
    });
    socket.addEventListener("error", () => {
      // the close that follows says what to do; without a listener `ws` would throw
    });
    socket.addEventListener("open", () => {
      if (!live()) return;
      opened = true;
      this.clearOpenTimer();
      this.setup.opened?.(socket);
      this.heardSincePing = true;
      this.startPing();
    });
    socket.addEventListener("message", (event: { data: unknown }) => {
      if (!live()) return;
      this.heardSincePing = true;
      this.message(typeof event.data === "string" ? event.data : String(event.data));
    });
    socket.addEventListener("close", () => {
      if (!live() || answered) return;
      this.clearOpenTimer();
      this.socket = undefined;
      this.stopPing();
      if (opened) {
        this.setup.host.presence(false);
        this.retry();
      } else {
        this.failed(Boolean(socket.on));
      }
    });
  }

  private message(text: string): void {
    if (text === "pong") return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return; // not ours to understand
    }
    if (typeof parsed !== "object" || parsed === null || typeof (parsed as { type?: unknown }).type !== "string") return;
    const m = parsed as { type: string } & Record<string, unknown>;
    if ((this.setup.greetings ?? ["hello"]).includes(m.type) && this.current !== "open") {
      this.failures = 0;
      this.everOpened = true;
      this.setState("open");
      this.setup.host.presence(true);
    }
    if (m.type === "hello") return;
    if (m.type === "ended") {
      const reason = typeof m.reason === "string" ? m.reason : "expired";
      this.stop();
      this.setup.host.ended({ reason });
      return;
    }
    if (this.setup.host.message?.(m)) return;
    try {
      this.setup.options.onMessage?.(m);
    } catch {
      // an application's callback must not break the channel
    }
  }

  /** The upgrade was answered with an HTTP status. */
  private refused(status: number, text: string): void {
    let error: { code?: string; message?: string; details?: { reason?: unknown } } | undefined;
    try {
      error = (JSON.parse(text) as { error?: typeof error }).error;
    } catch {
      error = undefined;
    }
    if (status === 410 || status === 401) {
      const reason = typeof error?.details?.reason === "string" ? error.details.reason : status === 401 ? "invalid_token" : "expired";
      this.stop();
      this.setup.host.ended({ reason, status, ...(error?.code ? { code: error.code } : {}), ...(error?.message ? { message: error.message } : {}) });
      return;
    }
    this.setup.host.presence(false);
    // A refusal where the channel worked before is most likely passing (a restart): keep to the backoff.
    if (status >= 500 || status === 429 || this.everOpened) this.retry();
    else this.fallBack();
  }

  /** Closed before it opened. `seesAnswers`: the platform would have reported an HTTP answer, so there was none. */
  private failed(seesAnswers: boolean): void {
    this.setup.host.presence(false);
    if (seesAnswers) {
      this.retry();
      return;
    }
    const attempt = this.attempt;
    void this.setup.host.probe().then(
      (outcome) => {
        if (attempt !== this.attempt || this.stopped || outcome === "ended") return;
        if (outcome === "alive") this.fallBack();
        else this.retry();
      },
      () => this.retry(),
    );
  }

  /** Something between us and the service refuses the channel: heartbeats, and a try now and then. */
  private fallBack(): void {
    this.setState("fallback");
    this.schedule(this.setup.options.refusedRetryMs ?? DEFAULT_REFUSED_RETRY_MS);
  }

  private retry(): void {
    const delay = backoffDelay(this.failures++, this.setup.options.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS);
    // A few failures in a row: say the heartbeats are standing in while it keeps trying.
    this.setState(this.failures > 2 ? "fallback" : "connecting");
    this.schedule(delay);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = unref(setTimeout(() => this.connect(), ms));
  }

  private clearOpenTimer(): void {
    if (this.openTimer !== undefined) clearTimeout(this.openTimer);
    this.openTimer = undefined;
  }

  private startPing(): void {
    this.stopPing();
    this.pingTimer = unref(
      setInterval(() => {
        const s = this.socket;
        if (!s || s.readyState !== OPEN) return;
        if (!this.heardSincePing) {
          // Nothing back since the last ping, not even its pong: the connection is dead without saying so.
          this.attempt++;
          this.socket = undefined;
          this.stopPing();
          closeQuietly(s);
          this.setup.host.presence(false);
          this.retry();
          return;
        }
        this.heardSincePing = false;
        s.send("ping");
      }, this.setup.options.pingIntervalMs ?? DEFAULT_PING_MS),
    );
  }

  private stopPing(): void {
    if (this.pingTimer !== undefined) clearInterval(this.pingTimer);
    this.pingTimer = undefined;
  }
}

/** A clean close (1000), dropped if the other side does not finish it soon. */
function closeQuietly(s: LiveSocket): void {
  try {
    if (s.readyState === OPEN) {
      s.close(1000, "closed by the client");
      if (s.terminate) {
        const drop = unref(setTimeout(() => s.terminate?.(), CLOSE_GRACE_MS));
        s.addEventListener("close", () => clearTimeout(drop));
      }
    } else if (s.terminate) {
      s.terminate();
    } else {
      s.close();
    }
  } catch {
    // already closed
  }
}
