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

  /** Whether any client of the seat holds its channel open. */
  connected(seatId: string): boolean {
    return this.ctx.getWebSockets(seatId).length > 0;
  }
}
