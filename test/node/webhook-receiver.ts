/** A real webhook receiver over HTTP, the Standard Webhooks check a receiver makes, and a wait for a delivery. */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Records every delivery and answers each with the status `answer` gives for its path and how many that path has had; 0 is never to answer. */
export function startReceiver(answer: (path: string, n: number) => number = () => 200) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      received.push({ path: req.url ?? "", headers: req.headers, body });
      const status = answer(req.url ?? "", received.filter((r) => r.path === req.url).length);
      if (status === 0) return; // holds the connection open, answering nothing
      res.statusCode = status;
      res.end("ok");
    });
  });
  return new Promise<{ url: string; received: Received[]; close(): Promise<void> }>((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as AddressInfo).port;
      resolve({ url: `http://127.0.0.1:${port}`, received, close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }) });
    });
  });
}

/** The delivery as `standardwebhooks` verifies it with the subscription's secret; throws on a bad signature. */
export function verified(secret: string, r: Received) {
  const headers = { "webhook-id": String(r.headers["webhook-id"]), "webhook-timestamp": String(r.headers["webhook-timestamp"]), "webhook-signature": String(r.headers["webhook-signature"]) };
  return new Webhook(secret).verify(r.body, headers) as { type: string; timestamp: string; data: Record<string, unknown> };
}

/** Polls `fn` until it gives something (a delivery, a log row) and returns that; throws after `ms`. Unlike live-helpers' `until`, it returns what it waited for. */
export async function untilFound<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
