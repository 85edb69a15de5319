/**
 * What the bench asks of the service: pools to work on, and the request chains
 * autocannon sends (the ceiling's no-op; checkout then release with the token the
 * checkout answered).
 */
import type { Step } from "./load.js";

export interface BenchPool {
  poolId: string;
  serial: string;
  productKey: string;
}

const JSON_HEADERS = { "content-type": "application/json" };

async function createPool(url: string, vendorToken: string, customer: string, seats: number): Promise<BenchPool> {
  const res = await fetch(`${url}/v1/pools`, {
    method: "POST",
    headers: { ...JSON_HEADERS, authorization: `Bearer ${vendorToken}` },
    body: JSON.stringify({ customer, seats }),
  });
  const body = (await res.json()) as BenchPool;
  if (res.status !== 201) throw new Error(`creating a pool answered ${res.status}: ${JSON.stringify(body)}`);
  return { poolId: body.poolId, serial: body.serial, productKey: body.productKey };
}

/** Creates `count` pools, a few at a time (set-up, not measured). */
export async function createPools(url: string, vendorToken: string, count: number, seats: number, label: string): Promise<BenchPool[]> {
  const pools: BenchPool[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(8, count) }, async () => {
      while (next < count) {
        const i = next++;
        pools[i] = await createPool(url, vendorToken, `${label} ${i + 1}`, seats);
      }
    }),
  );
  return pools;
}

/** The ceiling: one no-op RPC to a Durable Object per request. */
export function noopSteps(): Step[] {
  return [{ kind: "noop", expect: 200, request: { method: "GET", path: "/__bench/noop" } }];
}

/** The second reference: a no-op RPC that also commits one row. */
export function writeSteps(): Step[] {
  return [{ kind: "write", expect: 200, request: { method: "GET", path: "/__bench/write" } }];
}

let identities = 0;

/** A new identity per checkout, so every checkout takes a seat of its own. */
function checkoutBody(pool: BenchPool): string {
  const n = ++identities;
  return JSON.stringify({
    serial: pool.serial,
    productKey: pool.productKey,
    user: `bench-user-${n}`,
    machine: `BENCH-PC-${n}`,
    clientVersion: "16.0.2",
  });
}

function checkoutStep(pick: () => BenchPool): Step {
  return {
    kind: "checkout",
    expect: 201,
    request: {
      method: "POST",
      path: "/v1/sessions",
      headers: JSON_HEADERS,
      setupRequest(req) {
        return { ...req, body: checkoutBody(pick()) };
      },
      onResponse(status, body, context) {
        if (status === 201) {
          const out = JSON.parse(body) as { sessionId: string; token: string };
          context.sessionId = out.sessionId;
          context.token = out.token;
        } else {
          context.sessionId = undefined;
        }
      },
    },
  };
}

function releaseStep(): Step {
  return {
    kind: "release",
    expect: 200,
    request: {
      method: "DELETE",
      setupRequest(req, context) {
        // No session (the checkout failed): skip back to the next checkout.
        if (typeof context.sessionId !== "string") return null;
        return { ...req, path: `/v1/sessions/${context.sessionId}`, headers: { authorization: `Bearer ${context.token as string}` } };
      },
    },
  };
}

/** Checkout, then release with the checkout's token: one seat taken and handed back per cycle. */
export function cycleSteps(pools: BenchPool[]): Step[] {
  let i = 0;
  const pick = pools.length === 1 ? () => pools[0]! : () => pools[i++ % pools.length]!;
  return [checkoutStep(pick), releaseStep()];
}

/** Checkouts only: fills a pool with seats that stay held. */
export function fillSteps(pool: BenchPool): Step[] {
  return [checkoutStep(() => pool)];
}
