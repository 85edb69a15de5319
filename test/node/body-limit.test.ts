/**
 * Found by the red team under `npm start`: a chunked body of 40 KB or more was answered
 * 413 with the rest of it unread, and the next request of any client then hung. Each
 * over-long body here is followed by an ordinary request that must be answered.
 */
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalServer, type LocalServer } from "./local-server.js";

let server: LocalServer;
beforeAll(async () => {
  server = await startLocalServer();
});
afterAll(async () => {
  await server?.dispose();
});

/** POSTs `size` bytes as a chunked body, in 4 KiB chunks, and answers the status and body. */
function chunkedPost(path: string, size: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}${path}`, { method: "POST", headers: { "content-type": "application/json", "transfer-encoding": "chunked" } }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode!, body }));
    });
    req.on("error", reject);
    const chunk = Buffer.alloc(4096, "a");
    for (let sent = 0; sent < size; sent += chunk.length) req.write(chunk.subarray(0, Math.min(chunk.length, size - sent)));
    req.end();
  });
}

/** An ordinary request, given up after `ms` (a hung connection fails the test instead of stalling it). */
async function healthz(ms: number): Promise<number> {
  const res = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(ms) });
  return res.status;
}

describe("a request body over the limit", () => {
  for (const size of [20 * 1024, 45 * 1024, 3 * 1024 * 1024]) {
    it(`of ${size / 1024} KiB, sent chunked, is answered 413 and leaves the next request unharmed`, async () => {
      const res = await chunkedPost("/v1/sessions", size);
      expect(res.status).toBe(413);
      expect(JSON.parse(res.body).error.code).toBe("payload_too_large");
      expect(await healthz(5000)).toBe(200);
      expect(await healthz(5000)).toBe(200);
    });
  }
});
