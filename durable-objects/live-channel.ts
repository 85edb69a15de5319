/**
 * The live channel: one WebSocket per running application, on the hibernation API, so
 * an open socket costs no duration and nothing is written while it stays open. A socket
 * is tagged with its session and seat, which is how a free, a revocation or a release
 * reaches exactly the clients it concerns, at once. `ping` is answered by the runtime
 * without waking the object. An open socket is presence: stale expiry asks `connected`.
 */
import { errorBody, errorStatus, type EndReason } from "../src/contract/errors.js";
import type { Failure } from "./outcome.js";
import type { PoolSummary } from "../src/contract/schemas.js";

/** What the Worker tells the object about an upgrade it has authenticated. */
export const LIVE_HEADERS = { session: "x-seatkeeper-session", seat: "x-seatkeeper-seat", protocol: "x-seatkeeper-protocol" } as const;
/** The subprotocol a browser names (with its `bearer.<token>`), answered back. */
export const LIVE_PROTOCOL = "seatkeeper.v1";

export interface LiveAttachment {
  sessionId: string;
  seatId: string;
  /** ms: the client said its user went idle then (`idle`); absent while active. */
  idleSince?: number;
}

export class LiveChannel {
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

  /** Tells the sockets of a session or seat (all sockets, without a tag) that it ended, then closes them. */
  ended(reason: EndReason, tag?: string): void {
    const message = JSON.stringify({ type: "ended", reason });
    for (const ws of tag === undefined ? this.ctx.getWebSockets() : this.ctx.getWebSockets(tag)) {
      try {
        ws.send(message);
        ws.close(1000, reason);
      } catch {
        // already closing: the client learns the end at its next request
      }
    }
  }

  /** Keeps a client's `idle`/`active` in its socket's attachment, which hibernation keeps; other text is ignored. */
  noteActivity(ws: WebSocket, message: string | ArrayBuffer): void {
    if (typeof message !== "string" || message.length > 512) return;
    let m: unknown;
    try {
      m = JSON.parse(message);
    } catch {
      return;
    }
    const a = ws.deserializeAttachment() as LiveAttachment | null;
    if (!a || typeof m !== "object" || m === null) return;
    const { type, since } = m as { type?: unknown; since?: unknown };
    if (type === "active") {
      delete a.idleSince;
    } else if (type === "idle") {
      const at = typeof since === "string" ? Date.parse(since) : NaN;
      a.idleSince = Number.isFinite(at) ? Math.min(at, Date.now()) : Date.now();
    } else return;
    ws.serializeAttachment(a);
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
