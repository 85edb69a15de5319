/**
 * Storms: rounds of many concurrent checkouts on a fresh pool of 1 to 100 seats, then
 * the server's own records are read back and held to the answers it gave.
 *
 * A round's requests mix what real start-ups send at nine o'clock: new identities
 * (70%), the same identity again in other letter case and spacing, as a second window
 * of the application (10%), an exact retry with the same `instance` after a lost
 * answer (10%), and the same user and machine from another terminal session (10%).
 * A retry and its twin must get the same session, or both be refused: a launch told
 * "pool_full" while its twin holds a seat is a problem (that client would give up a seat it has).
 */
import {
  call, count, createPool, drillLog, listedSessions, random, readRecords, recordProblems, shuffle, type Answer, type DrillOutcome, type Target } from "./common.js";

export interface StormOptions {
  rounds: number;
  concurrency: number;
  seed: number;
  log?: (line: string) => void;
}

interface CheckoutBody {
  serial: string;
  productKey: string;
  user: string;
  machine: string;
  terminalSession?: string;
  clientVersion: string;
  instance: string;
}

interface Granted {
  sessionId: string;
  seatId: string;
  seatShared: boolean;
}

interface Sent {
  index: number;
  body: CheckoutBody;
  /** The request this one repeats with the same instance, if it is a retry. */
  twinOf?: number;
  answer?: Answer;
}

/** The grant in a 201 or 200 answer, if it is one. */
function grantOf(a: Answer | undefined): Granted | undefined {
  if (!a || (a.status !== 201 && a.status !== 200)) return undefined;
  const g = a.json as Partial<Granted> | undefined;
  return typeof g?.sessionId === "string" && typeof g.seatId === "string" ? (g as Granted) : undefined;
}

function seatsForRound(round: number, rand: () => number): number {
  if (round === 0) return 1;
  if (round === 1) return 100;
  return 1 + Math.floor(rand() * 100);
}

const noStormCounts = () => ({ rounds: 0, sent: 0, answered: 0, created: 0, repeated: 0, full: 0, twinPairs: 0, twinsBothGranted: 0, twinsBothFull: 0, twinsToldFullWhileHolding: 0 });
export type StormCounts = ReturnType<typeof noStormCounts>;

export async function stormDrill(target: Target, opts: StormOptions): Promise<DrillOutcome<StormCounts>> {
  const { lines, problems, say } = drillLog(opts.log);
  const rand = random(opts.seed);
  say(`storms: ${opts.rounds} rounds of ${opts.concurrency} concurrent checkouts, seed ${opts.seed}`);
  let granted = 0;
  let denied = 0;
  const counts = noStormCounts();

  for (let round = 0; round < opts.rounds; round++) {
    const seats = seatsForRound(round, rand);
    const pool = await createPool(target, `Storm ${round + 1}`, seats);
    const base = (i: number): CheckoutBody => ({
      serial: pool.serial,
      productKey: pool.productKey,
      user: `user-${round}-${i}`,
      machine: `PC-${i}`,
      clientVersion: "16.0.2",
      instance: `storm-${round}-${i}`,
    });
    const sent: Sent[] = [];
    for (let i = 0; i < opts.concurrency; i++) {
      const kind = i % 10;
      const first = i - kind;
      if (kind <= 6 || first === i) sent.push({ index: i, body: base(i) });
      else if (kind === 7) {
        const b = base(first);
        sent.push({ index: i, body: { ...b, user: `  ${b.user.toUpperCase()} `, machine: b.machine.toLowerCase(), instance: `storm-${round}-${i}` } });
      } else if (kind === 8) sent.push({ index: i, body: { ...sent[first]!.body }, twinOf: first });
      else sent.push({ index: i, body: { ...base(first), terminalSession: `RDP-Tcp#${i}`, instance: `storm-${round}-${i}` } });
    }
    // Some send the product key as people type it: lower case, no dashes.
    for (const s of sent) if (rand() < 0.2) s.body = { ...s.body, productKey: s.body.productKey.replace(/-/g, "").toLowerCase() };

    await Promise.all(
      shuffle(sent, rand).map(async (s) => {
        try {
          s.answer = await call(target, "POST", "/v1/sessions", { body: s.body, address: `10.${round}.${s.index % 250}.1` });
        } catch (e) {
          problems.push(`round ${round + 1}: request ${s.index} got no answer (${(e as Error).message})`);
        }
      }),
    );

    const label = `round ${round + 1} (${seats} seats)`;
    const records = await readRecords(target, pool.poolId);
    problems.push(...recordProblems(label, records));
    const listed = listedSessions(records);
    const answered = sent.filter((s) => s.answer);
    for (const s of answered) {
      const a = s.answer!;
      if (a.status !== 201 && a.status !== 200 && a.status !== 409) {
        problems.push(`${label}: request ${s.index} answered ${a.status} ${a.text.slice(0, 200)}`);
        continue;
      }
      if (a.status === 409) {
        const code = (a.json as { error?: { code?: string } } | undefined)?.error?.code;
        if (code !== "pool_full") problems.push(`${label}: 409 with code ${code}`);
        continue;
      }
      const g = grantOf(a);
      if (!g) {
        problems.push(`${label}: request ${s.index} answered ${a.status} without a session: ${a.text.slice(0, 200)}`);
        continue;
      }
      if (listed.get(g.sessionId) !== g.seatId) {
        problems.push(`${label}: request ${s.index} was answered ${a.status} with session ${g.sessionId} on seat ${g.seatId}, which the records ${listed.has(g.sessionId) ? `put on seat ${listed.get(g.sessionId)}` : "do not hold"}`);
      }
    }
    const created = answered.filter((s) => s.answer!.status === 201 && grantOf(s.answer));
    const repeated = answered.filter((s) => s.answer!.status === 200 && grantOf(s.answer));
    const full = answered.filter((s) => s.answer!.status === 409);
    const createdSessions = new Set(created.map((s) => (s.answer!.json as Granted).sessionId));
    if (createdSessions.size !== created.length) problems.push(`${label}: one session id was answered 201 twice`);
    for (const sessionId of listed.keys()) {
      if (!createdSessions.has(sessionId)) problems.push(`${label}: the records hold session ${sessionId}, which no one was answered 201 for`);
    }
    // A retry with the same instance gets the same session as its twin, whichever the server saw first;
    // and a client is never told "full" for a launch that holds a seat.
    const isFull = (a: Answer | undefined) => a?.status === 409 && (a.json as { error?: { code?: string } } | undefined)?.error?.code === "pool_full";
    for (const s of answered) {
      const twin = s.twinOf === undefined ? undefined : sent[s.twinOf];
      if (!twin?.answer) continue;
      counts.twinPairs++;
      const mine = grantOf(s.answer);
      const theirs = grantOf(twin.answer);
      if ((mine && isFull(twin.answer)) || (theirs && isFull(s.answer))) {
        counts.twinsToldFullWhileHolding++;
        const holder = mine ? s : twin;
        problems.push(`${label}: instance ${s.body.instance} was granted session ${grantOf(holder.answer)!.sessionId} (request ${holder.index}) and its twin, request ${(mine ? twin : s).index}, was told pool_full`);
        continue;
      }
      if (isFull(s.answer) && isFull(twin.answer)) counts.twinsBothFull++;
      if (!mine || !theirs) continue;
      counts.twinsBothGranted++;
      if (mine.sessionId !== theirs.sessionId) problems.push(`${label}: instance ${s.body.instance} was given two sessions, ${mine.sessionId} and ${theirs.sessionId}`);
      if (s.answer!.status === twin!.answer!.status) problems.push(`${label}: instance ${s.body.instance} was answered ${s.answer!.status} twice`);
    }
    // A seat is created once: one unshared grant per seat in use.
    const seatsGranted = new Set(created.map((s) => (s.answer!.json as Granted).seatId));
    const unshared = created.filter((s) => !(s.answer!.json as Granted).seatShared).length;
    if (seatsGranted.size !== records.inUse) problems.push(`${label}: answers granted ${seatsGranted.size} seats, the records say ${records.inUse} in use`);
    if (unshared !== records.inUse) problems.push(`${label}: ${unshared} checkouts took a new seat, the records say ${records.inUse} in use`);
    // Refused only when truly full.
    if (full.length > 0 && records.inUse < records.seats) problems.push(`${label}: ${full.length} refused as full while ${records.seats - records.inUse} seats were free`);
    granted += created.length;
    denied += full.length;
    counts.rounds++;
    counts.sent += sent.length;
    counts.answered += answered.length;
    counts.created += created.length;
    counts.repeated += repeated.length;
    counts.full += full.length;
    say(
      `  ${label}: ${count(answered, (s) => String(s.answer!.status))}; records: ${records.inUse}/${records.seats} seats in use, ` +
        `${listed.size} sessions, ${created.length} answered 201, ${repeated.length} retries answered 200`,
    );
  }
  say(`storms: ${granted} sessions granted, ${denied} refused as full; ${problems.length === 0 ? "nothing over-allocated, nothing granted twice, every 201 held" : `${problems.length} PROBLEMS`}`);
  if (counts.answered === 0) problems.push("no checkout was answered, so nothing was tested");
  return { drill: "storm", lines, problems, counts };
}
