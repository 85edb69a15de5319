/**
 * Crash: clients check seats out and release them as fast as they can; the server is
 * killed with SIGKILL in the middle of it and started again on the same state. Then
 * every answer it gave before dying is held against what it remembers.
 *
 * Requests that were in flight at the kill have no answer, so the drill resolves them
 * the way a client does: a checkout is sent again with the same `instance` (200 means
 * the first one had committed, 201 that it had not), a release is sent again (either
 * "released" or "already released"). After that the drill knows every session the
 * server should hold, and the records must list exactly those.
 */
import {
  call, createPool, drillLog, listedSessions, random, readRecords, recordProblems, type CreatedPool, type DrillOutcome, type Target } from "./common.js";

export interface CrashableServer extends Target {
  /** Ends the server; SIGKILL is the crash. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same state. */
  restart(): Promise<void>;
}

export interface CrashOptions {
  cycles: number;
  clients: number;
  pools: number;
  seatsPerPool: number;
  /** How long the load runs before the kill, ms (varied ±40% by the seed). */
  loadMs: number;
  seed: number;
  log?: (line: string) => void;
}

interface Checkout {
  pool: CreatedPool;
  body: { serial: string; productKey: string; user: string; machine: string; clientVersion: string; instance: string };
}

interface Session {
  pool: CreatedPool;
  sessionId: string;
  seatId: string;
  token: string;
  user: string;
  machine: string;
  /** held: answered 201/200 and not released; released: a release was answered; unknown: a release got no answer. */
  state: "held" | "released" | "release-unknown";
}

const noCrashCounts = () => ({ cycles: 0, answeredBeforeKill: 0, inFlightCheckouts: 0, inFlightReleases: 0, refusedAtKill: 0, retriedCheckouts: 0, checkedAfterRestart: 0, heldAfterRestart: 0 });
export type CrashCounts = ReturnType<typeof noCrashCounts>;

export async function crashDrill(server: CrashableServer, opts: CrashOptions): Promise<DrillOutcome<CrashCounts>> {
  const { lines, problems, say } = drillLog(opts.log);
  const rand = random(opts.seed);
  say(`crash: ${opts.cycles} kill -9 cycles, ${opts.clients} clients on ${opts.pools} pools of ${opts.seatsPerPool} seats, seed ${opts.seed}`);
  const pools: CreatedPool[] = [];
  for (let i = 0; i < opts.pools; i++) pools.push(await createPool(server, `Crash ${i + 1}`, opts.seatsPerPool));
  const sessions = new Map<string, Session>();
  let identities = 0;
  const counts = noCrashCounts();

  for (let cycle = 1; cycle <= opts.cycles; cycle++) {
    const unknownCheckouts: Checkout[] = [];
    // Set just before the kill: no client starts a request after it, so every request without an answer was sent to a live server.
    let stop = false;
    const tally = { checkouts: 0, created: 0, repeated: 0, full: 0, releases: 0, releasesAnswered: 0, inFlightCheckouts: 0, inFlightReleases: 0, refused: 0 };
    /** A connection refused never reached the server: nothing of it can have committed. */
    const refused = (e: unknown) => (e as { cause?: { code?: string } }).cause?.code === "ECONNREFUSED";
    const releasesInFlight = new Set<string>();

    const client = async (c: number) => {
      while (!stop) {
        const pool = pools[Math.floor(rand() * pools.length)]!;
        // One in five joins an identity that already holds a seat (a second window).
        const mine = [...sessions.values()].filter((s) => s.state === "held" && s.pool === pool);
        const n = ++identities;
        const join = rand() < 0.2 && mine.length > 0 ? mine[Math.floor(rand() * mine.length)] : undefined;
        const checkout: Checkout = {
          pool,
          body: {
            serial: pool.serial,
            productKey: pool.productKey,
            user: join?.user ?? `crash-user-${n}`,
            machine: join?.machine ?? `PC-${n}`,
            clientVersion: "16.0.2",
            instance: `crash-${cycle}-${c}-${n}`,
          },
        };
        if (stop) return;
        tally.checkouts++;
        try {
          const a = await call(server, "POST", "/v1/sessions", { body: checkout.body, address: `10.9.${c}.1` });
          if (a.status === 201 || a.status === 200) {
            const g = a.json as { sessionId: string; seatId: string; token: string };
            sessions.set(g.sessionId, { pool, sessionId: g.sessionId, seatId: g.seatId, token: g.token, user: checkout.body.user, machine: checkout.body.machine, state: "held" });
            if (a.status === 201) tally.created++;
            else tally.repeated++;
          } else if (a.status === 409) tally.full++;
          else problems.push(`cycle ${cycle}: checkout answered ${a.status} ${a.text.slice(0, 200)}`);
        } catch (e) {
          if (refused(e)) tally.refused++;
          else tally.inFlightCheckouts++;
          unknownCheckouts.push(checkout); // either way a client sends it again; a refused one must then be created anew
          return; // the server is gone
        }
        if (rand() < 0.6) {
          const held = [...sessions.values()].filter((s) => s.state === "held");
          const victim = held[Math.floor(rand() * held.length)];
          if (!victim || stop) continue;
          tally.releases++;
          try {
            const a = await call(server, "DELETE", `/v1/sessions/${victim.sessionId}`, { token: victim.token });
            const out = a.json as { released?: boolean; reason?: string } | undefined;
            tally.releasesAnswered++;
            if (a.status === 200 && (out?.released === true || out?.reason === "released")) victim.state = "released";
            else problems.push(`cycle ${cycle}: release of ${victim.sessionId} answered ${a.status} ${a.text.slice(0, 200)}`);
          } catch (e) {
            if (refused(e)) tally.refused++;
            else releasesInFlight.add(victim.sessionId);
            victim.state = "release-unknown";
            return;
          }
        }
      }
    };

    const running = Promise.all(Array.from({ length: opts.clients }, (_, c) => client(c)));
    const loadMs = Math.round(opts.loadMs * (0.6 + 0.8 * rand()));
    await new Promise((r) => setTimeout(r, loadMs));
    stop = true;
    await server.stop("SIGKILL");
    await running;
    // Two clients may have been releasing the same session; count sessions, not requests.
    tally.inFlightReleases = releasesInFlight.size;
    const answered = tally.created + tally.repeated + tally.full + tally.releasesAnswered;
    counts.cycles++;
    counts.answeredBeforeKill += answered;
    counts.inFlightCheckouts += tally.inFlightCheckouts;
    counts.inFlightReleases += tally.inFlightReleases;
    counts.refusedAtKill += tally.refused;
    counts.retriedCheckouts += unknownCheckouts.length;
    if (answered === 0) problems.push(`cycle ${cycle}: nothing was answered before the kill, so nothing was tested`);
    say(
      `  cycle ${cycle}: killed after ${loadMs} ms with ${tally.inFlightCheckouts} checkouts and ${tally.inFlightReleases} releases in flight, ${tally.refused} refused at the kill ` +
        `(${tally.checkouts} checkouts sent: ${tally.created} created, ${tally.repeated} repeated, ${tally.full} full; ${tally.releases} releases sent)`,
    );
    const t = Date.now();
    await server.restart();

    // Resolve what the kill left unanswered, as a client would on its next start.
    let committedBefore = 0;
    let createdNow = 0;
    let fullNow = 0;
    for (const c of unknownCheckouts) {
      const a = await call(server, "POST", "/v1/sessions", { body: c.body, address: "10.9.250.1" });
      if (a.status === 200 || a.status === 201) {
        const g = a.json as { sessionId: string; seatId: string; token: string };
        sessions.set(g.sessionId, { pool: c.pool, sessionId: g.sessionId, seatId: g.seatId, token: g.token, user: c.body.user, machine: c.body.machine, state: "held" });
        if (a.status === 200) committedBefore++;
        else createdNow++;
      } else if (a.status === 409) fullNow++;
      else problems.push(`cycle ${cycle}: retried checkout answered ${a.status} ${a.text.slice(0, 200)}`);
    }
    let releasedBefore = 0;
    let releasedNow = 0;
    for (const s of sessions.values()) {
      if (s.state !== "release-unknown") continue;
      const a = await call(server, "DELETE", `/v1/sessions/${s.sessionId}`, { token: s.token });
      const out = a.json as { released?: boolean; reason?: string } | undefined;
      if (a.status === 200 && out?.released === true) releasedNow++;
      else if (a.status === 200 && out?.reason === "released") releasedBefore++;
      else problems.push(`cycle ${cycle}: retried release of ${s.sessionId} answered ${a.status} ${a.text.slice(0, 200)}`);
      s.state = "released";
    }

    // Every answer given before the kill still stands.
    const before = problems.length;
    let stillHeld = 0;
    let stillReleased = 0;
    for (const s of sessions.values()) {
      counts.checkedAfterRestart++;
      const a = await call(server, "GET", `/v1/sessions/${s.sessionId}`, { token: s.token });
      const status = a.json as { active?: boolean; reason?: string | null } | undefined;
      if (s.state === "held") {
        if (a.status === 200 && status?.active === true) stillHeld++;
        else problems.push(`cycle ${cycle}: session ${s.sessionId}, answered 201, is lost: ${a.status} ${a.text.slice(0, 200)}`);
      } else if (a.status === 200 && status?.active === false && status.reason === "released") stillReleased++;
      else problems.push(`cycle ${cycle}: session ${s.sessionId}, answered released, is back: ${a.status} ${a.text.slice(0, 200)}`);
    }
    // And the records hold exactly those sessions, with counters to match.
    for (const pool of pools) {
      const records = await readRecords(server, pool.poolId);
      const label = `cycle ${cycle} pool ${pool.poolId}`;
      problems.push(...recordProblems(label, records));
      const listed = listedSessions(records);
      const expected = [...sessions.values()].filter((s) => s.pool === pool && s.state === "held");
      for (const s of expected) if (listed.get(s.sessionId) !== s.seatId) problems.push(`${label}: held session ${s.sessionId} is not listed on seat ${s.seatId}`);
      const known = new Set(expected.map((s) => s.sessionId));
      for (const id of listed.keys()) if (!known.has(id)) problems.push(`${label}: the records hold session ${id}, which no client holds`);
      const seats = new Set(expected.map((s) => s.seatId));
      if (seats.size !== records.inUse) problems.push(`${label}: clients hold ${seats.size} seats, the pool counts ${records.inUse}`);
    }
    say(
      `    restarted in ${Date.now() - t} ms; in-flight checkouts: ${committedBefore} had committed (retry answered 200), ${createdNow} had not (retry answered 201), ${fullNow} had not and found the pool full; ` +
        `in-flight releases: ${releasedBefore} had committed, ${releasedNow} had not`,
    );
    counts.heldAfterRestart += stillHeld;
    say(`    after restart: ${stillHeld} sessions held and ${stillReleased} released, as answered; ${problems.length === before ? "records match, counts match" : `${problems.length - before} PROBLEMS`}`);
  }
  say(`crash: ${problems.length === 0 ? "no answered checkout lost, no answered release undone, counts match the sessions" : `${problems.length} PROBLEMS`}`);
  return { drill: "crash", lines, problems, counts };
}
