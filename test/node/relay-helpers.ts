/**
 * The one TCP relay the Node tests put in front of the local server: it forwards every
 * connection, reads (and keeps) each connection's request head on the way, can answer a
 * WebSocket upgrade with 403 as a proxy that does not allow WebSockets would, and its
 * `close()` drops every connection as a lost network would.
 */
import { connect, createServer, type Server, type Socket } from "node:net";

export interface SeenRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  upgrade: boolean;
}

/**
 * Forwards a local port to `targetPort`. `close()` drops every connection and stops
 * listening; `open()` listens on the same port again.
 */
export class Relay {
  private server?: Server;
  private sockets = new Set<Socket>();
  /** The head of every request that came through, in order. */
  readonly seen: SeenRequest[] = [];
  port = 0;

  constructor(private readonly targetPort: number, private readonly opts: { refuseUpgrades?: boolean } = {}) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  upgrades(): SeenRequest[] {
    return this.seen.filter((r) => r.upgrade);
  }

  async open(): Promise<void> {
    const server = createServer((inbound) => {
      this.track(inbound);
      let head = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf("\r\n\r\n");
        if (end < 0) return;
        inbound.off("data", onData);
        inbound.pause();
        const request = parseHead(head.subarray(0, end).toString("latin1"));
        this.seen.push(request);
        if (request.upgrade && this.opts.refuseUpgrades) {
          const body = "WebSockets are not allowed through this proxy.";
          inbound.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
          return;
        }
        // One request per connection from here on: later requests on a kept-alive connection are not inspected.
        const outbound = connect(this.targetPort, "127.0.0.1");
        this.track(outbound);
        outbound.on("error", () => inbound.destroy());
        inbound.on("error", () => outbound.destroy());
        outbound.write(head);
        inbound.pipe(outbound).pipe(inbound);
        inbound.resume();
      };
      inbound.on("data", onData);
      inbound.on("error", () => inbound.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private track(s: Socket): void {
    this.sockets.add(s);
    s.on("close", () => this.sockets.delete(s));
  }
}

function parseHead(text: string): SeenRequest {
  const [first = "", ...lines] = text.split("\r\n");
  const [method = "", path = ""] = first.split(" ");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(":");
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return { method, path, headers, upgrade: (headers.upgrade ?? "").toLowerCase() === "websocket" };
}
