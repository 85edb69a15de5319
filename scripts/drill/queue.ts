/**
 * Queue: a small pool, many waiters (`wait: true`), holders released at random in
 * bursts, and the server killed with SIGKILL halfway through. Every waiter polls its
 * ticket (presence) and picks up its seat when granted, then holds it for a while.
 * Afterwards the server's own events must show every grant going to the first waiter,
 * each ticket granted once, and never more seats held than the pool has. Then idle
 * reclaim through a second kill: nothing taken back on what was said before it.
 */
import { call, createPool, drillLog, random, type DrillOutcome } from "./common.js";
import type { CrashableServer } from "./crash.js";

export interface QueueOptions {
  seats: number;
  waiters: number;
  seed: number;
  log?: (line: string) => void;
}

interface Held {
  sessionId: string;
  token: string;
}

export async function queueDrill(server: CrashableServer, opts: QueueOptions): Promise<DrillOutcome> {
  const { lines, problems, say } = drillLog(opts.log);
  const rand = random(opts.seed);
  say(`queue: ${opts.waiters} waiters on a pool of ${opts.seats} seats, holders released at random, one kill -9 halfway, seed ${opts.seed}`);
  const pool = await createPool(server, "Queue drill", opts.seats);
  const counts = { queued: 0, granted: 0, polls: 0, releases: 0, kills: 0 };
  const ask = (user: string, wait: boolean) =>
    call(server, "POST", "/v1/sessions", { body: { serial: pool.serial, productKey: pool.productKey, user, machine: `Q-${user}`, wait } });

  const holders: Held[] = [];
  for (let i = 0; i < opts.seats; i++) {
    const a = await ask(`holder${i}`, false);
    if (a.status !== 201) problems.push(`holder ${i}: checkout answered ${a.status}`);
    else holders.push(a.json as Held);
  }
  const tickets: { ticketId: string; token: string }[] = [];
  for (let i = 0; i < opts.waiters; i++) {
    const a = await ask(`waiter${String(i).padStart(4, "0")}`, true);
    if (a.status !== 202) problems.push(`waiter ${i}: checkout with wait answered ${a.status}`);
    else tickets.push(a.json as { ticketId: string; token: string });
  }
  counts.queued = tickets.length;
  const pending = new Map(tickets.map((t) => [t.ticketId, t]));
  let killed = false;
  for (let round = 0; pending.size > 0 && round < opts.waiters * 4; round++) {
    const burst = Math.min(holders.length, 1 + Math.floor(rand() * 3));
    const out: Held[] = [];
    for (let i = 0; i < burst; i++) out.push(...holders.splice(Math.floor(rand() * holders.length), 1));
    await Promise.all(out.map(async (h) => {
      const r = await call(server, "DELETE", `/v1/sessions/${h.sessionId}`, { token: h.token });
      if (r.status !== 200) problems.push(`release answered ${r.status}`);
      counts.releases++;
    }));
    if (!killed && pending.size <= tickets.length / 2) {
      killed = true;
      counts.kills++;
      say("queue: kill -9 with tickets waiting and seats granted but not picked up");
      await server.stop("SIGKILL");
      await server.restart();
    }
    const polls = await Promise.all([...pending.values()].map(async (t) => [t, await call(server, "GET", `/v1/tickets/${t.ticketId}`, { token: t.token })] as const));
    for (const [t, r] of polls) {
      counts.polls++;
      const body = r.json as { state?: string; sessionId?: string; token?: string };
      if (r.status !== 200) problems.push(`ticket ${t.ticketId}: state answered ${r.status}`);
      else if (body.state === "granted") {
        pending.delete(t.ticketId);
        holders.push({ sessionId: body.sessionId!, token: body.token! });
      } else if (body.state !== "waiting") problems.push(`ticket ${t.ticketId} is ${body.state}, though its waiter polled all along`);
    }
  }
  if (pending.size > 0) problems.push(`${pending.size} waiters never got a seat`);

  const events: { type: string; details: Record<string, unknown> | null }[] = [];
  for (let before: string | null = null, first = true; first || before; first = false) {
    const r = await call(server, "GET", `/v1/pools/${pool.poolId}/events?limit=500${before ? `&before=${before}` : ""}`, { token: server.vendorToken });
    const page = r.json as { events: typeof events; next: string | null };
    events.push(...page.events);
    before = page.next;
  }
  events.reverse();
  const queued = events.filter((e) => e.type === "queued").map((e) => e.details!.ticketId as string);
  const granted = events.filter((e) => e.type === "granted").map((e) => e.details!.ticketId as string);
  counts.granted = granted.length;
  if (new Set(granted).size !== granted.length) problems.push("a ticket was granted twice");
  if (granted.join() !== queued.join()) problems.push("grants did not follow the order of the queue");
  let level = 0;
  for (const e of events) {
    if (e.type === "checkout") level++;
    if ((e.type === "release" && e.details?.seatFreed) || e.type === "freed" || e.type === "lapsed") level--;
    if (level > opts.seats) problems.push(`${level} seats held on a pool of ${opts.seats}`);
  }
  say(`queue: ${counts.granted} grants in queue order${problems.length ? "" : ", none twice, never over the pool"}`);
  const reclaims = await reclaimThroughKill(server, problems, say);
  counts.kills++;
  return { drill: "queue", lines, problems, counts: { ...counts, reclaims } };
}

/**
 * Idle reclaim through a kill -9: an HTTP client says it is idle, the server is killed, and
 * a waiter arrives. What the client said was kept in memory, so the restarted pool must take
 * nothing until the client says it again; then the seat goes to the waiter at once (grace 0),
 * reclaimed once, granted once. Answers how many seats were reclaimed.
 */
async function reclaimThroughKill(server: CrashableServer, problems: string[], say: (line: string) => void): Promise<number> {
  const pool = await createPool(server, "Reclaim drill", 1);
  const patched = await call(server, "PATCH", `/v1/pools/${pool.poolId}`, { token: server.vendorToken, body: { reclaimIdleMinutes: 1, reclaimGraceMinutes: 0 } });
  if (patched.status !== 200) problems.push(`reclaim settings answered ${patched.status}`);
  const holder = await call(server, "POST", "/v1/sessions", { body: { serial: pool.serial, productKey: pool.productKey, user: "idler", machine: "R-1" } });
  const h = holder.json as Held;
  const idleSince = new Date(Date.now() - 5 * 60_000).toISOString();
  const beat = () => call(server, "POST", `/v1/sessions/${h.sessionId}/heartbeat`, { token: h.token, body: { idleSince } });
  if ((await beat()).status !== 200) problems.push("the idle heartbeat was refused");
  say("queue: kill -9 with an idle HTTP holder, then a waiter");
  await server.stop("SIGKILL");
  await server.restart();
  const w = await call(server, "POST", "/v1/sessions", { body: { serial: pool.serial, productKey: pool.productKey, user: "waiter", machine: "R-2", wait: true } });
  if (w.status !== 202) problems.push(`the waiter's checkout answered ${w.status}`);
  const t = w.json as { ticketId: string; token: string };
  const state = async () => ((await call(server, "GET", `/v1/tickets/${t.ticketId}`, { token: t.token })).json as { state?: string }).state;
  if ((await state()) !== "waiting") problems.push("after the restart a seat was taken back on what the holder said before it");
  // the holder beats again, idle: now the seat is taken back and handed on in one step
  const again = await beat();
  if (again.status !== 200) problems.push(`the holder's beat after the restart answered ${again.status}`);
  if ((await state()) !== "granted") problems.push("the idle seat did not go to the waiter");
  const gone = await call(server, "POST", `/v1/sessions/${h.sessionId}/heartbeat`, { token: h.token });
  if (gone.status !== 410 || (gone.json as { error?: { details?: { reason?: string } } }).error?.details?.reason !== "reclaimed") problems.push("the holder was not told its seat was reclaimed");
  const events = ((await call(server, "GET", `/v1/pools/${pool.poolId}/events?limit=100`, { token: server.vendorToken })).json as { events: { type: string }[] }).events;
  const reclaimed = events.filter((e) => e.type === "reclaimed").length;
  const granted = events.filter((e) => e.type === "granted").length;
  if (reclaimed !== 1 || granted !== 1) problems.push(`${reclaimed} reclaims and ${granted} grants, not one each`);
  say(`queue: the idle seat was kept through the restart, then reclaimed once and granted once`);
  return reclaimed;
}
