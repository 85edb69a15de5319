/**
 * The live channel: one WebSocket per running application, on the hibernation API, so
 * an open socket costs no duration and nothing is written while it stays open. A socket
 * is tagged with its session and seat, which is how a free, a revocation or a release
 * reaches exactly the clients it concerns, at once. `ping` is answered by the runtime
 * without waking the object. An open socket is presence: stale expiry asks `connected`.
 * A waiter's socket (the ticket's channel) is tagged with its ticket and `tickets` alone,
 * so nothing meant for seats reaches it. Messages a transaction decides wait in `later`
 * until it commits (`flush`), and are dropped if it rolls back.
 */
import { errorBody, errorStatus, type EndReason } from "../src/contract/errors.js";
import type { Failure } from "./outcome.js";
import type { PoolSummary } from "../src/contract/schemas.js";

/** What the Worker tells the object about an upgrade it has authenticated. */
export const LIVE_HEADERS = { session: "x-seatkeeper-session", seat: "x-seatkeeper-seat", protocol: "x-seatkeeper-protocol", ticket: "x-seatkeeper-ticket" } as const;
/** The path the Worker forwards a ticket's channel to (a session's is any other). */
export const TICKET_LIVE_PATH = "/ticket-live";
/** Every ticket socket carries this tag besides its ticket's, so seat messages never reach a waiter and the queue finds all its waiters. */
export const TICKETS_TAG = "tickets";
export const ticketTag = (ticketId: string) => `ticket:${ticketId}`;
/** The subprotocol a browser names (with its `bearer.<token>`), answered back. */
export const LIVE_PROTOCOL = "seatkeeper.v1";

export interface LiveAttachment {
  sessionId: string;
  seatId: string;
  /** ms: the client said its user went idle then (`idle`); absent while active. */
  idleSince?: number;
}

/** A waiter's socket: its ticket, and the figures last sent, so only a change is sent. */
export interface TicketAttachment {
  ticketId: string;
  position?: number;
  waiting?: number;
}

/** A message to send once the transaction that decided it has committed. */
interface Pending {
  tag: string;
  message: string;
  /** Close with 1000 and this reason after sending. */
  close?: string;
}

export class LiveChannel {
  private outbox: Pending[] = [];

  constructor(private readonly ctx: DurableObjectState) {
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
  }

  /** Accepts the socket, says hello, and answers the upgrade; a refusal answers the contract's error instead. */
  open(request: Request, check: (sessionId: string, seatId: string) => Failure | { pool: PoolSummary }): Response {
    const sessionId = request.headers.get(LIVE_HEADERS.session) ?? "";
    const seatId = request.headers.get(LIVE_HEADERS.seat) ?? "";
    const checked = check(sessionId, seatId);
    if ("ok" in checked) {
      return Response.json(errorBody(checked.code, checked.message, checked.details), { status: errorStatus[checked.code] });
    }
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server, [sessionId, seatId]);
    server.serializeAttachment({ sessionId, seatId } satisfies LiveAttachment);
    server.send(JSON.stringify({ type: "hello", sessionId, seatId, pool: checked.pool }));
    const headers: Record<string, string> = request.headers.get(LIVE_HEADERS.protocol) ? { "Sec-WebSocket-Protocol": LIVE_PROTOCOL } : {};
    return new Response(null, { status: 101, webSocket: client, headers });
  }

  /**
   * Accepts a waiter's socket, tagged with its ticket; `check` refuses an unknown ticket
   * before any upgrade, and `opened` runs once the socket is accepted (it says where the ticket stands).
   */
  openTicket(request: Request, check: (ticketId: string) => Failure | undefined, opened: (ticketId: string, ws: WebSocket) => void): Response {
    const ticketId = request.headers.get(LIVE_HEADERS.ticket) ?? "";
    const refused = check(ticketId);
    if (refused) return Response.json(errorBody(refused.code, refused.message, refused.details), { status: errorStatus[refused.code] });
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server, [ticketTag(ticketId), TICKETS_TAG]);
    server.serializeAttachment({ ticketId } satisfies TicketAttachment);
    opened(ticketId, server);
    const headers: Record<string, string> = request.headers.get(LIVE_HEADERS.protocol) ? { "Sec-WebSocket-Protocol": LIVE_PROTOCOL } : {};
    return new Response(null, { status: 101, webSocket: client, headers });
  }

  /** Every waiter's open socket. */
  ticketSockets(ticketId?: string): WebSocket[] {
    return this.ctx.getWebSockets(ticketId === undefined ? TICKETS_TAG : ticketTag(ticketId));
  }

  /** Whether the ticket's holder keeps its channel open (presence for the queue). */
  ticketConnected(ticketId: string): boolean {
    return this.ctx.getWebSockets(ticketTag(ticketId)).length > 0;
  }

  /** Queues a message for the sockets of `tag`, sent by `flush` after the transaction commits. */
  later(tag: string, message: Record<string, unknown>, close?: string): void {
    this.outbox.push({ tag, message: JSON.stringify(message), ...(close === undefined ? {} : { close }) });
  }

  /** Sends what the committed transaction queued. */
  flush(): void {
    const out = this.outbox;
    this.outbox = [];
    for (const m of out) {
      for (const ws of this.ctx.getWebSockets(m.tag)) {
        try {
          ws.send(m.message);
          if (m.close !== undefined) ws.close(1000, m.close);
        } catch {
          // already closing: the client learns it at its next request
        }
      }
    }
  }

  /** The transaction rolled back: what it queued never happened. */
  drop(): void {
    this.outbox = [];
  }

  /** Tells the sockets of a session or seat (all seat sockets, without a tag) that it ended, then closes them. */
  ended(reason: EndReason, tag?: string): void {
    const message = JSON.stringify({ type: "ended", reason });
    const sockets = tag === undefined ? this.ctx.getWebSockets().filter((ws) => !isTicketSocket(ws)) : this.ctx.getWebSockets(tag);
    for (const ws of sockets) {
      try {
        ws.send(message);
        ws.close(1000, reason);
      } catch {
        // already closing: the client learns the end at its next request
      }
    }
  }

  /**
   * Keeps a client's `idle`/`active` in its socket's attachment, which hibernation keeps;
   * other text is ignored. Answers the seat when its idle state changed, else undefined.
   */
  noteActivity(ws: WebSocket, message: string | ArrayBuffer): string | undefined {
    if (typeof message !== "string" || message.length > 512) return undefined;
    let m: unknown;
    try {
      m = JSON.parse(message);
    } catch {
      return undefined;
    }
    const a = ws.deserializeAttachment() as LiveAttachment | null;
    if (!a || !("seatId" in a) || typeof m !== "object" || m === null) return undefined;
    const { type, since } = m as { type?: unknown; since?: unknown };
    const before = a.idleSince;
    if (type === "active") {
      delete a.idleSince;
    } else if (type === "idle") {
      const at = typeof since === "string" ? Date.parse(since) : NaN;
      a.idleSince = Number.isFinite(at) ? Math.min(at, Date.now()) : Date.now();
    } else return undefined;
    ws.serializeAttachment(a);
    return a.idleSince === before ? undefined : a.seatId;
  }

  /** The open channels of one session. */
  sessionSockets(sessionId: string): WebSocket[] {
    return this.ctx.getWebSockets(sessionId);
  }

  /** The seats with a channel open. */
  seatIds(): string[] {
    const ids = new Set<string>();
    for (const ws of this.ctx.getWebSockets()) {
      const a = ws.deserializeAttachment() as Partial<LiveAttachment> | null;
      if (typeof a?.seatId === "string") ids.add(a.seatId);
    }
    return [...ids];
  }

  /** Connected and in use: some open channel of the seat has not said its user is idle. */
  active(seatId: string): boolean {
    return this.ctx.getWebSockets(seatId).some((ws) => (ws.deserializeAttachment() as LiveAttachment | null)?.idleSince === undefined);
  }

  /** Whether any client of the seat holds its channel open. */
  connected(seatId: string): boolean {
    return this.ctx.getWebSockets(seatId).length > 0;
  }
}

/** A waiter's socket, by its attachment. */
export function isTicketSocket(ws: WebSocket): boolean {
  const a = ws.deserializeAttachment() as Partial<TicketAttachment> | null;
  return typeof a?.ticketId === "string";
}
