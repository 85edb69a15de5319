/**
 * Live: many sessions hold the live channel open (the SDK's own channel code over the
 * `ws` package, as the Node SDK runs it), then
 *
 * - the storm: an admin frees every seat at once (one DELETE per seat, all in parallel);
 *   every client must be told `ended: freed` within 2 seconds of its seat's free being
 *   answered (the admin's "done"); how long after the burst began is reported too (the
 *   pool's one object frees the seats one after another, so that is mostly queueing);
 * - the revocation: as many sessions again, ended by one admin action (new credentials
 *   with `endSessions`); every client must be told `ended: revoked` within 2 seconds of
 *   that request being sent;
 * - the kill: the server is killed with SIGKILL with the sockets open and started again
 *   on the same state; every client must reconnect by itself (backoff and jitter), no
 *   client may be told its session ended, and the server's records must hold exactly
 *   the sessions it held before: no seat lost, none doubled.
 */
import WebSocket from "ws";
import { LiveChannel, liveUrl, type LiveEnd, type LiveSocketConstructor } from "../../src/client/live-channel.js";
import { call, createPool, drillLog, listedSessions, readRecords, recordProblems, type CreatedPool, type DrillOutcome } from "./common.js";
import type { CrashableServer } from "./crash.js";

export interface LiveDrillOptions {
  /** Sessions freed at once in the storm. */
  sessions: number;
  /** Sessions with their channel open when the server is killed. */
  killSessions: number;
  log?: (line: string) => void;
}

const TOLD_WITHIN_MS = 2_000;

interface Client {
  sessionId: string;
  seatId: string;
  token: string;
  channel: LiveChannel;
  opens: number;
  open: boolean;
  openedAt: number;
  end?: LiveEnd & { at: number };
  /** When the admin's free of this client's seat was answered. */
  freedAt?: number;
}

const noLiveCounts = () => ({
  stormSessions: 0, stormTold: 0, stormMaxToldMs: 0, stormMedianToldMs: 0, stormMaxFromBurstMs: 0, stormFreesAnsweredMs: 0,
  revokeTold: 0, revokeMaxToldMs: 0,
  killSessions: 0, reconnected: 0, maxReconnectMs: 0, heldAfterRestart: 0, endedByKill: 0,
});
export type LiveCounts = ReturnType<typeof noLiveCounts>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

/** Runs `fn` over `items`, `limit` at a time. */
async function inBatches<T>(items: T[], limit: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  }));
}

/** Checks `n` sessions out of the pool and opens each one's live channel; answers once every channel said hello. */
async function connectClients(server: CrashableServer, pool: CreatedPool, n: number, tag: string, problems: string[]): Promise<Client[]> {
  const clients: Client[] = [];
  await inBatches(Array.from({ length: n }, (_, i) => i), 50, async (i) => {
    const body = { serial: pool.serial, productKey: pool.productKey, user: `${tag}-user-${i}`, machine: `PC-${i}`, clientVersion: "16.0.2", instance: `${tag}-${i}` };
    const a = await call(server, "POST", "/v1/sessions", { body, address: `10.7.${i % 250}.1` });
    if (a.status !== 201) {
      problems.push(`${tag}: checkout ${i} answered ${a.status} ${a.text.slice(0, 200)}`);
      return;
    }
    const g = a.json as { sessionId: string; seatId: string; token: string };
    const client: Client = { ...g, opens: 0, open: false, openedAt: 0, channel: undefined as unknown as LiveChannel };
    client.channel = new LiveChannel({
      url: liveUrl(server.url, g.sessionId),
      token: g.token,
      WebSocket: WebSocket as unknown as LiveSocketConstructor,
      auth: "header",
      options: { maxBackoffMs: 5_000, heartbeatFallback: false },
      host: {
        ended: (end) => (client.end = { ...end, at: performance.now() }),
        presence: (open) => {
          client.open = open;
          if (open) {
            client.opens++;
            client.openedAt = performance.now();
          }
        },
        // `ws` reports every HTTP answer, so the channel never needs to ask.
        probe: async () => "offline",
      },
    });
    clients.push(client);
    client.channel.start();
  });
  if (!(await waitFor(() => clients.every((c) => c.open || c.end), 60_000))) {
    problems.push(`${tag}: ${clients.filter((c) => !c.open).length} of ${clients.length} channels did not open within 60 s`);
  }
  return clients;
}

export async function liveDrill(server: CrashableServer, opts: LiveDrillOptions): Promise<DrillOutcome<LiveCounts>> {
  const { lines, problems, say } = drillLog(opts.log);
  const counts = noLiveCounts();
  say(`live: ${opts.sessions} open channels freed at once, ${opts.sessions} more revoked at once; then kill -9 with ${opts.killSessions} channels open`);

  // The storm.
  const pool = await createPool(server, "Live storm", opts.sessions);
  const storm = await connectClients(server, pool, opts.sessions, "storm", problems);
  counts.stormSessions = storm.length;
  say(`  storm: ${storm.filter((c) => c.open).length} channels open`);
  const burst = performance.now();
  await Promise.all(storm.map(async (c) => {
    const a = await call(server, "DELETE", `/v1/pools/${pool.poolId}/seats/${c.seatId}`, { token: pool.adminKey });
    if (a.status !== 200) problems.push(`storm: freeing ${c.seatId} answered ${a.status} ${a.text.slice(0, 200)}`);
    else c.freedAt = performance.now();
  }));
  counts.stormFreesAnsweredMs = Math.round(performance.now() - burst);
  await waitFor(() => storm.every((c) => c.end), TOLD_WITHIN_MS * 5);
  const toldClients = storm.filter((c) => c.end && c.freedAt !== undefined);
  // Told before the free's answer reached the admin counts as 0: the message left the server first.
  const gaps = toldClients.map((c) => Math.max(0, c.end!.at - c.freedAt!)).sort((a, b) => a - b);
  counts.stormTold = storm.filter((c) => c.end).length;
  counts.stormMaxToldMs = Math.round(gaps.at(-1) ?? 0);
  counts.stormMedianToldMs = Math.round(gaps[Math.floor(gaps.length / 2)] ?? 0);
  counts.stormMaxFromBurstMs = Math.round(Math.max(0, ...toldClients.map((c) => c.end!.at - burst)));
  say(
    `  storm: ${storm.length} frees sent at once, all answered within ${counts.stormFreesAnsweredMs} ms; ${counts.stormTold} clients told, ` +
      `median ${counts.stormMedianToldMs} ms and max ${counts.stormMaxToldMs} ms after their free's answer, the last ${counts.stormMaxFromBurstMs} ms after the burst began`,
  );
  if (counts.stormTold !== storm.length) problems.push(`storm: ${storm.length - counts.stormTold} of ${storm.length} clients were never told their seat was freed`);
  if (counts.stormMaxToldMs > TOLD_WITHIN_MS) problems.push(`storm: a client was told ${counts.stormMaxToldMs} ms after its seat's free was answered (limit ${TOLD_WITHIN_MS} ms)`);
  for (const c of storm) if (c.end && c.end.reason !== "freed") problems.push(`storm: ${c.sessionId} was told "${c.end.reason}", not "freed"`);
  for (const c of storm) c.channel.stop();
  const after = await readRecords(server, pool.poolId);
  problems.push(...recordProblems("storm", after));
  if (after.inUse !== 0) problems.push(`storm: ${after.inUse} seats still in use after every seat was freed`);

  // The revocation: one request ends every session of the pool.
  const rpool = await createPool(server, "Live revocation", opts.sessions);
  const revoked = await connectClients(server, rpool, opts.sessions, "revoke", problems);
  const sent = performance.now();
  const rotated = await call(server, "POST", `/v1/pools/${rpool.poolId}/credentials`, { token: server.vendorToken, body: { endSessions: true } });
  if (rotated.status !== 201) problems.push(`revoke: rotating the credentials answered ${rotated.status} ${rotated.text.slice(0, 200)}`);
  await waitFor(() => revoked.every((c) => c.end), TOLD_WITHIN_MS * 5);
  counts.revokeTold = revoked.filter((c) => c.end).length;
  counts.revokeMaxToldMs = Math.round(Math.max(0, ...revoked.filter((c) => c.end).map((c) => c.end!.at - sent)));
  say(`  revoke: credentials rotated with endSessions, answered in ${Math.round(performance.now() - sent)} ms; ${counts.revokeTold} of ${revoked.length} clients told, the last ${counts.revokeMaxToldMs} ms after the request was sent`);
  if (counts.revokeTold !== revoked.length) problems.push(`revoke: ${revoked.length - counts.revokeTold} of ${revoked.length} clients were never told their session was revoked`);
  if (counts.revokeMaxToldMs > TOLD_WITHIN_MS) problems.push(`revoke: the last client was told ${counts.revokeMaxToldMs} ms after the revocation was sent (limit ${TOLD_WITHIN_MS} ms)`);
  for (const c of revoked) if (c.end && c.end.reason !== "revoked") problems.push(`revoke: ${c.sessionId} was told "${c.end.reason}", not "revoked"`);
  for (const c of revoked) c.channel.stop();
  const afterRevoke = await readRecords(server, rpool.poolId);
  if (afterRevoke.inUse !== 0) problems.push(`revoke: ${afterRevoke.inUse} seats still in use after every session was revoked`);

  // The kill.
  const kpool = await createPool(server, "Live kill", opts.killSessions);
  const held = await connectClients(server, kpool, opts.killSessions, "kill", problems);
  counts.killSessions = held.length;
  const before = await readRecords(server, kpool.poolId);
  const opensBefore = new Map(held.map((c) => [c, c.opens]));
  say(`  kill: ${held.filter((c) => c.open).length} channels open, ${before.inUse} seats in use; kill -9`);
  await server.stop("SIGKILL");
  await waitFor(() => held.every((c) => !c.open), 10_000);
  const down = held.filter((c) => !c.open).length;
  await server.restart();
  const up = performance.now();
  // Back: opened again since the kill (some reconnect while the restart is still polling the health check).
  const isBack = (c: Client) => c.open && c.opens > opensBefore.get(c)!;
  await waitFor(() => held.every((c) => isBack(c) || c.end), 90_000);
  const back = held.filter(isBack);
  counts.reconnected = back.length;
  counts.maxReconnectMs = Math.round(Math.max(0, ...back.map((c) => c.openedAt - up)));
  counts.endedByKill = held.filter((c) => c.end).length;
  say(`  kill: ${down} channels dropped; restarted; ${back.length} reconnected, the last ${counts.maxReconnectMs} ms after the server was up`);
  if (down !== held.length) problems.push(`kill: only ${down} of ${held.length} channels saw the server go`);
  if (back.length !== held.length) {
    const states = held.filter((c) => !back.includes(c)).map((c) => c.channel.state);
    problems.push(`kill: ${held.length - back.length} of ${held.length} clients did not reconnect within 90 s (their channels: ${[...new Set(states)].join(", ")})`);
  }
  for (const c of held) if (c.end) problems.push(`kill: ${c.sessionId} was told its session ended (${c.end.reason}) by a restart`);

  const records = await readRecords(server, kpool.poolId);
  problems.push(...recordProblems("kill", records));
  const listed = listedSessions(records);
  counts.heldAfterRestart = held.filter((c) => listed.get(c.sessionId) === c.seatId).length;
  if (records.inUse !== before.inUse) problems.push(`kill: ${before.inUse} seats in use before the kill, ${records.inUse} after`);
  for (const c of held) if (listed.get(c.sessionId) !== c.seatId) problems.push(`kill: session ${c.sessionId} lost its seat ${c.seatId}`);
  if (listed.size !== held.length) problems.push(`kill: the records hold ${listed.size} sessions for ${held.length} clients`);

  // Give the seats back: the channels first, as the SDK's release does.
  for (const c of held) c.channel.stop();
  await inBatches(held, 50, async (c) => {
    const a = await call(server, "DELETE", `/v1/sessions/${c.sessionId}`, { token: c.token });
    if (a.status !== 200) problems.push(`kill: release of ${c.sessionId} answered ${a.status}`);
  });
  const end = await readRecords(server, kpool.poolId);
  if (end.inUse !== 0) problems.push(`kill: ${end.inUse} seats still in use after every client released`);
  say(`live: ${problems.length === 0 ? "every client told within the limit, every seat kept through the kill" : `${problems.length} PROBLEMS`}`);
  if (counts.stormTold === 0 || counts.reconnected === 0) problems.push("no channel was told or reconnected, so nothing was tested");
  return { drill: "live", lines, problems, counts };
}
