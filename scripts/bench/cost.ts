/**
 * What a seat costs to run: rows written and read per operation, counted by the pool
 * object's own store (`cursor.rowsWritten` after every statement, index entries included,
 * and each alarm set), the billable requests each operation makes, and from those the
 * cost of a million seat-days at Cloudflare's list prices. Counts, not timings: the same
 * on a busy machine as on a quiet one.
 */
import WebSocket from "ws";
import type { BenchPool } from "./workload.js";

/** Cloudflare's list prices (Workers Paid), as published on developers.cloudflare.com, read 2026-12-01. */
export const PRICES = {
  date: "2026-12-01",
  /** SQLite-backed Durable Objects: rows written, per million. */
  rowsWritten: 1.0,
  /** ...rows read, per million. */
  rowsRead: 0.001,
  /** Durable Object requests (HTTP, RPC, alarms; incoming WebSocket messages billed 20:1), per million. */
  durableObjectRequests: 0.15,
  /** Workers requests, per million. */
  workerRequests: 0.3,
  /** Incoming WebSocket messages per billed Durable Object request. */
  webSocketMessagesPerRequest: 20,
};

/**
 * Rows the first heartbeat past a 15-minute window writes (its session and its seat):
 * the bench cannot wait a window, so this is the count test/workers/write-budget.test.ts asserts.
 */
const WINDOW_WRITE_ROWS = 2;

/** A seat-day: the seat held for a working day by `seatkeeper run`. */
export const SEAT_DAY_HOURS = 8;

export interface OperationCost {
  rowsWritten: number;
  rowsRead: number;
  workerRequests: number;
  durableObjectRequests: number;
  /** Incoming WebSocket messages (billed 20 to a request). */
  webSocketMessages: number;
}

export interface SeatDayModel {
  label: string;
  /** What the day is made of, for the table. */
  recipe: string;
  cost: OperationCost;
  /** US dollars per million seat-days. */
  perMillion: number;
}

export interface CostReport {
  prices: typeof PRICES;
  operations: Record<"checkout" | "checkoutWithInstance" | "release" | "heartbeat" | "liveOpenAndClose" | "livePing", OperationCost>;
  /** The day as `seatkeeper run` holds a seat now: the live channel, with its keep-alive. */
  seatDay: SeatDayModel;
  /** The same day held by HTTP heartbeats every 5 minutes (the channel blocked by a proxy). */
  seatDayHeartbeats: SeatDayModel;
  /** Version 1.0's day, as issue 17 measured it on that code (`cursor.rowsWritten`): 10 + 7 + 96 heartbeats × 3 rows. */
  before: SeatDayModel;
}

type Meter = { rowsWritten: number; rowsRead: number; alarmWrites: number };

async function meter(url: string, poolId: string): Promise<Meter> {
  const res = await fetch(`${url}/__bench/meter/${poolId}`);
  if (!res.ok) throw new Error(`the meter answered ${res.status}`);
  return (await res.json()) as Meter;
}

/** Runs `op` alone against the pool and answers the rows it wrote and read (alarms count as rows written). */
async function measured(url: string, poolId: string, op: () => Promise<void>): Promise<{ rowsWritten: number; rowsRead: number }> {
  const before = await meter(url, poolId);
  await op();
  const after = await meter(url, poolId);
  return {
    rowsWritten: after.rowsWritten - before.rowsWritten + after.alarmWrites - before.alarmWrites,
    rowsRead: after.rowsRead - before.rowsRead,
  };
}

const JSON_HEADERS = { "content-type": "application/json" };

export function dollarsPerMillion(c: OperationCost): number {
  const requests = c.durableObjectRequests + c.webSocketMessages / PRICES.webSocketMessagesPerRequest;
  // a price is per million units, and so is the answer: the unit counts are the dollars
  return c.rowsWritten * PRICES.rowsWritten + c.rowsRead * PRICES.rowsRead + requests * PRICES.durableObjectRequests + c.workerRequests * PRICES.workerRequests;
}

function add(...parts: [OperationCost, number][]): OperationCost {
  const out: OperationCost = { rowsWritten: 0, rowsRead: 0, workerRequests: 0, durableObjectRequests: 0, webSocketMessages: 0 };
  for (const [c, times] of parts) {
    for (const k of Object.keys(out) as (keyof OperationCost)[]) out[k] += c[k] * times;
  }
  return out;
}

export async function measureCost(url: string, vendorToken: string, opts: { pingIntervalSeconds: number; heartbeatMinutes: number }): Promise<CostReport> {
  const created = await fetch(`${url}/v1/pools`, {
    method: "POST",
    headers: { ...JSON_HEADERS, authorization: `Bearer ${vendorToken}` },
    body: JSON.stringify({ customer: "Bench cost", seats: 100 }),
  });
  const pool = (await created.json()) as BenchPool;
  let n = 0;
  const checkout = async (instance: boolean) => {
    n++;
    const res = await fetch(`${url}/v1/sessions`, {
      method: "POST",
      headers: JSON_HEADERS,
      body: JSON.stringify({
        serial: pool.serial, productKey: pool.productKey, user: `cost-user-${n}`, machine: `COST-PC-${n}`, clientVersion: "1.1.0",
        ...(instance ? { instance: crypto.randomUUID() } : {}),
      }),
    });
    if (res.status !== 201) throw new Error(`checkout answered ${res.status}`);
    return (await res.json()) as { sessionId: string; token: string };
  };
  const session = (s: { sessionId: string; token: string }, method: string, suffix = "") =>
    fetch(`${url}/v1/sessions/${s.sessionId}${suffix}`, { method, headers: { authorization: `Bearer ${s.token}` } }).then(async (r) => {
      await r.arrayBuffer();
      if (r.status !== 200) throw new Error(`${method} ${suffix || "session"} answered ${r.status}`);
    });
  const op = (rows: { rowsWritten: number; rowsRead: number }, workerRequests: number, durableObjectRequests: number, webSocketMessages = 0): OperationCost => ({
    ...rows, workerRequests, durableObjectRequests, webSocketMessages,
  });

  // the hour's usage row and the pool's first timers exist already in steady state: warm them
  const warm = await checkout(false);
  await session(warm, "DELETE");

  let s = { sessionId: "", token: "" };
  const checkoutRows = await measured(url, pool.poolId, async () => void (s = await checkout(false)));
  const releaseRows = await measured(url, pool.poolId, () => session(s, "DELETE"));
  let r = { sessionId: "", token: "" };
  const instanceRows = await measured(url, pool.poolId, async () => void (r = await checkout(true)));
  const BEATS = 20;
  const beatRows = await measured(url, pool.poolId, async () => {
    for (let i = 0; i < BEATS; i++) await session(r, "POST", "/heartbeat");
  });

  // the live channel: open, PINGS keep-alives answered, closed by the release's `ended`
  const PINGS = 20;
  let pingRows = { rowsWritten: 0, rowsRead: 0 };
  const liveRows = await measured(url, pool.poolId, async () => {
    const ws = new WebSocket(`${url.replace(/^http/, "ws")}/v1/sessions/${r.sessionId}/live`, { headers: { authorization: `Bearer ${r.token}` } });
    const messages: string[] = [];
    const waiters: (() => void)[] = [];
    ws.on("message", (d) => {
      messages.push(String(d));
      waiters.splice(0).forEach((w) => w());
    });
    const until = async (k: number) => {
      while (messages.length < k) await new Promise<void>((res) => waiters.push(res));
    };
    await until(1); // hello
    pingRows = await measured(url, pool.poolId, async () => {
      for (let i = 0; i < PINGS; i++) {
        ws.send("ping");
        await until(2 + i);
      }
    });
    const closed = new Promise<void>((res) => ws.once("close", () => res()));
    await session(r, "DELETE");
    await closed;
  });
  // the channel's rows, without the release that ended it
  const liveOpenClose = { rowsWritten: liveRows.rowsWritten - pingRows.rowsWritten - releaseRows.rowsWritten, rowsRead: liveRows.rowsRead - pingRows.rowsRead - releaseRows.rowsRead };

  const operations: CostReport["operations"] = {
    checkout: op(checkoutRows, 1, 1),
    checkoutWithInstance: op(instanceRows, 1, 1),
    release: op(releaseRows, 1, 1),
    heartbeat: op({ rowsWritten: beatRows.rowsWritten / BEATS, rowsRead: beatRows.rowsRead / BEATS }, 1, 1),
    liveOpenAndClose: op({ rowsWritten: Math.max(0, liveOpenClose.rowsWritten), rowsRead: Math.max(0, liveOpenClose.rowsRead) }, 1, 1),
    livePing: op({ rowsWritten: pingRows.rowsWritten / PINGS, rowsRead: pingRows.rowsRead / PINGS }, 0, 0, 1),
  };

  const pings = Math.round((SEAT_DAY_HOURS * 3600) / opts.pingIntervalSeconds);
  const beats = Math.round((SEAT_DAY_HOURS * 60) / opts.heartbeatMinutes);
  const model = (label: string, recipe: string, cost: OperationCost): SeatDayModel => ({ label, recipe, cost, perMillion: dollarsPerMillion(cost) });
  const v1Heartbeat: OperationCost = { rowsWritten: 3, rowsRead: 0, workerRequests: 1, durableObjectRequests: 1, webSocketMessages: 0 };
  return {
    prices: PRICES,
    operations,
    seatDay: model(
      "now, live channel",
      `checkout with instance + live channel + ${pings} pings (every ${opts.pingIntervalSeconds} s) + release`,
      add([operations.checkoutWithInstance, 1], [operations.liveOpenAndClose, 1], [operations.livePing, pings], [operations.release, 1]),
    ),
    seatDayHeartbeats: model(
      "now, heartbeats (channel blocked)",
      `checkout with instance + ${beats} heartbeats (every ${opts.heartbeatMinutes} min; the first of each 15-minute window writes ${WINDOW_WRITE_ROWS} rows) + release`,
      add(
        [operations.checkoutWithInstance, 1],
        [operations.heartbeat, beats],
        [{ rowsWritten: WINDOW_WRITE_ROWS, rowsRead: 0, workerRequests: 0, durableObjectRequests: 0, webSocketMessages: 0 }, (SEAT_DAY_HOURS * 60) / 15],
        [operations.release, 1],
      ),
    ),
    before: model(
      "version 1.0 (issue 17's measurement)",
      `checkout with instance 11 rows + ${beats} heartbeats × 3 rows + release 7 rows`,
      add([{ rowsWritten: 11, rowsRead: 0, workerRequests: 1, durableObjectRequests: 1, webSocketMessages: 0 }, 1], [v1Heartbeat, beats], [{ rowsWritten: 7, rowsRead: 0, workerRequests: 1, durableObjectRequests: 1, webSocketMessages: 0 }, 1]),
    ),
  };
}

