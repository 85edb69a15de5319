/** A pool's page: how full it is, how busy it was, who holds each seat, what happened, and its credentials and settings. */
import type { Child } from "hono/jsx";
import type { PoolDetails, PoolEvent, Seat } from "../../../contract/schemas.js";
import { SEATS_PER_PAGE, type PoolPageData, type SeatsView, type UsageRange } from "../operations.js";
import type { DashboardSession, Flash } from "../session.js";
import { Gauge, UsageChart } from "./charts.js";
import { ago, formatTime, isolate, plural } from "./format.js";
import { ConfirmButton, CsrfField, GroupedCode, GroupPolicyNote, Layout, Messages, ShownOnce } from "./layout.js";
import { ordinal } from "../../../contract/messages.js";
import { SeatAdvice } from "./advice.js";
import { WebhooksCard } from "./webhooks.js";

export function poolPath(poolId: string, rest = ""): string {
  return `/admin/pools/${encodeURIComponent(poolId)}${rest}`;
}

/** What a failed authentication presented, by its `details.reason`. */
const failedCredential: Record<string, string> = {
  bad_product_key: "Wrong product key presented",
  bad_admin_key: "Wrong admin key presented",
  bad_vendor_token: "Wrong vendor token presented",
};

type Holder = { user: string | null; machine: string | null; terminalSession: string | null };

/** "jsmith on PC-0042 (RDP-Tcp#12)" as a plain string (attributes, notices), each name isolated. */
export function identity(s: Holder): string {
  const parts = [s.user && isolate(s.user), s.machine && `on ${isolate(s.machine)}`, s.terminalSession && `(${isolate(s.terminalSession)})`].filter(Boolean);
  return parts.join(" ");
}

/** The same in markup, each name in its own `<bdi>`. */
export function Identity(props: { of: Holder }) {
  const { user, machine, terminalSession } = props.of;
  return (
    <>
      {user !== null ? <bdi>{user}</bdi> : null}
      {machine !== null ? <>{user !== null ? " on " : "on "}<bdi>{machine}</bdi></> : null}
      {terminalSession !== null ? <> (<bdi>{terminalSession}</bdi>)</> : null}
    </>
  );
}

/** A seats view as the query parameters (and form fields) that name it: `q`, and on later pages `cursor` and `page`. */
export function seatsViewParams(view: Partial<SeatsView>): Record<string, string> {
  return {
    ...(view.q ? { q: view.q } : {}),
    ...(view.cursor ? { cursor: view.cursor, page: String(view.page ?? 2) } : {}),
  };
}

/** The pool page's address for a seats view (and chart range), so every link and form keeps the page the admin is on. */
export function poolPagePath(poolId: string, view: Partial<SeatsView>, range: UsageRange = "24h", hash = ""): string {
  const query = new URLSearchParams({ ...(range !== "24h" ? { range } : {}), ...seatsViewParams(view) }).toString();
  return poolPath(poolId, `${query ? `?${query}` : ""}${hash}`);
}

/** The seats view as hidden form fields, so a post's redirect comes back to the same page of seats. */
function SeatsViewFields(props: { view: Partial<SeatsView> }) {
  return <>{Object.entries(seatsViewParams(props.view)).map(([name, value]) => <input type="hidden" name={name} value={value} />)}</>;
}

function When(props: { iso: string; now: number }) {
  return (
    <>
      <time datetime={props.iso} data-local="">{formatTime(props.iso)}</time>
      <span class="ago"> ({ago(props.iso, props.now)})</span>
    </>
  );
}

/** A seat's live state, as the seat list says it from 1.1 (a service without it leaves both out). */
type LiveSeat = Seat & { connected?: boolean; idleSince?: string | null };

/** Connected: a live channel of the seat is open now; Idle: since when all its users stopped using it, as the application said. */
function LiveCells(props: { seat: LiveSeat; now: number }) {
  const { connected, idleSince } = props.seat;
  return (
    <>
      <td data-label="Connected">{connected === undefined ? <span class="muted">–</span> : connected ? "Connected" : <span class="muted">Not connected</span>}</td>
      <td data-label="Idle">{idleSince ? <>Idle since <When iso={idleSince} now={props.now} /></> : connected ? "In use" : <span class="muted">–</span>}</td>
    </>
  );
}

function SeatRow(props: { seat: Seat; poolId: string; session: DashboardSession; now: number; view: SeatsView; maxAddresses: number }) {
  const { seat, poolId, session, now } = props;
  const who = identity(seat);
  const confirm = `Free the seat held by ${who}? The application there is told at its next heartbeat that an administrator freed its seat.`;
  return (
    <tr class={seat.sharedFromAddresses ? "shared-widely" : undefined}>
      <th scope="row" data-label="User">
        <bdi>{seat.user}</bdi>
        {seat.sharedFromAddresses ? (
          <> <span class="flag">{`In use from more than ${plural(props.maxAddresses, "network address", "network addresses")}`}</span></>
        ) : null}
        {seat.borrowedUntil ? (
          <> <span class="flag borrowed">Borrowed until <time datetime={seat.borrowedUntil} data-local="">{formatTime(seat.borrowedUntil)}</time></span></>
        ) : null}
      </th>
      <td data-label="Machine"><bdi>{seat.machine}</bdi></td>
      <td data-label="Terminal session">{seat.terminalSession !== null ? <bdi>{seat.terminalSession}</bdi> : <span class="muted">console</span>}</td>
      <td data-label="Since"><When iso={seat.since} now={now} /></td>
      <td data-label="Last seen"><When iso={seat.lastSeenAt} now={now} /></td>
      <td data-label="Sessions">{seat.sessions.length}</td>
      <LiveCells seat={seat} now={now} />
      <td data-label="">
        <ConfirmButton session={session} action={poolPath(poolId, `/seats/${encodeURIComponent(seat.seatId)}/free`)} confirm={confirm} label="Free" ariaLabel={`Free the seat of ${who}`}>
          <SeatsViewFields view={props.view} />
        </ConfirmButton>
      </td>
    </tr>
  );
}

const deniedReasons: Record<string, string> = {
  pool_full: "Turned away: the pool was full",
  credentials_revoked: "Refused: old serial number and product key",
  client_version: "Refused: client version too old",
  too_many_sessions: "Refused: the seat carries too many sessions",
};

const sessionLimits: Record<string, string> = {
  sessions: "Refused: the seat already carries the most sessions the pool allows",
  addresses: "Refused: the seat is already used from the most network addresses the pool allows",
  machine_mismatch: "Refused: the seat is held on another computer with the same name",
};

const changeNames: Record<string, string> = {
  seats: "seats",
  customer: "customer",
  minClientVersion: "minimum client version",
  staleAfterHours: "stale-seat expiry (hours)",
  maxSessionsPerSeat: "most sessions per seat",
  maxAddressesPerSeat: "most addresses per seat",
  refuseWidelySharedSeats: "refuse seats shared from more addresses",
  maxBorrowDays: "longest borrowing (days)",
  maxBorrowedSeats: "most seats borrowed at once",
  retentionDays: "days history is kept",
  reclaimIdleMinutes: "idle minutes before a seat is taken back",
  reclaimGraceMinutes: "warning before it is taken back (minutes)",
  selfRelease: "users freeing their own seat",
};

/** A setting's old or new value as the event shows it; text (a customer's name) in its own `<bdi>`. */
function SettingValue(props: { value: unknown }) {
  const v = props.value;
  if (v === null || v === undefined) return <>none</>;
  if (typeof v === "boolean") return <>{v ? "on" : "off"}</>;
  if (typeof v === "number") return <>{String(v)}</>;
  return <bdi>{String(v)}</bdi>;
}

/** "45 s", "12 min", "3 h 5 min": how long someone waited. */
function waited(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h${minutes % 60 ? ` ${minutes % 60} min` : ""}`;
}

/** " (3 times)" for an event that stands for several (failed sign-ins and denials are counted, not logged one by one). */
function times(d: Record<string, unknown>): string {
  const n = Number(d.count ?? 1);
  return Number.isInteger(n) && n > 1 ? ` (${n.toLocaleString("en-GB")} times)` : "";
}

/** What an event says happened; any text from its details is isolated. */
export function EventWhat(props: { event: PoolEvent }) {
  const e = props.event;
  const d = e.details ?? {};
  switch (e.type) {
    case "pool_created": return <>Pool created</>;
    case "checkout": return <>{d.seatShared ? "Joined a seat it already held" : "Took a seat"}</>;
    case "denied": {
      const why = d.reason === "too_many_sessions" ? sessionLimits[String(d.limit)] : undefined;
      return <>{`${why ?? deniedReasons[String(d.reason)] ?? "Refused"}${times(d)}`}</>;
    }
    case "release": return <>{d.seatFreed ? "Released; seat returned" : "Released one session; seat still held"}</>;
    case "freed": {
      const by = e.actor?.startsWith("self:") ? "its user, from another computer" : "an administrator";
      return <>{`Seat freed by ${by} (${plural(Number(d.sessionsEnded ?? 0), "session")} ended)`}</>;
    }
    // waiting for a seat (issue 11)
    case "queued": return <>{typeof d.position === "number" ? `Joined the queue for a seat, ${ordinal(d.position)} in line` : "Joined the queue for a seat"}</>;
    case "granted": return <>{typeof d.waitedSeconds === "number" ? `Given a seat from the queue after waiting ${waited(d.waitedSeconds)}` : "Given a seat from the queue"}</>;
    case "lapsed": return <>{d.waiting === true ? "Dropped from the queue: not heard from for a minute" : "A seat given from the queue was not picked up in time"}</>;
    case "left_queue": return <>{e.actor !== null ? "Removed from the queue" : "Left the queue"}{d.granted === true ? "; the seat given to them passed on" : ""}</>;
    case "reclaimed": return <>Idle seat taken back for someone waiting</>;
    case "expired": return <>Seat expired without a heartbeat</>;
    case "revoked": return <>{`All sessions ended by a revocation (${plural(Number(d.sessionsEnded ?? 0), "session")})`}</>;
    case "credentials_rotated": return <>{d.endSessions ? "Serial and product key reissued; sessions ended" : "Serial and product key reissued; sessions carried on"}</>;
    case "admin_key_rotated": return <>Admin key replaced</>;
    case "pool_updated": {
      const changes = Object.entries(d as Record<string, { from: unknown; to: unknown }>);
      if (changes.length === 0) return <>Settings saved, nothing changed</>;
      return (
        <>
          Settings changed:{" "}
          {changes.map(([k, v], i) => (
            <>{i > 0 ? ", " : ""}{changeNames[k] ?? k} <SettingValue value={v?.from} /> → <SettingValue value={v?.to} /></>
          ))}
        </>
      );
    }
    case "auth_failed": {
      const reason = String(d.reason);
      return <>{`${Object.hasOwn(failedCredential, reason) ? failedCredential[reason] : "Wrong credential presented"}${times(d)}`}</>;
    }
    case "seat_shared_widely": {
      return (
        <>
          Seat used from more network addresses than the pool allows
          {typeof d.address === "string" ? <> (newest: <bdi>{d.address}</bdi>)</> : null}
        </>
      );
    }
    case "erased": return <>{`A person's names erased from ${plural(Number(d.records ?? 0), "record")}`}</>;
    default: return <bdi>{e.type}</bdi>;
  }
}

function EventsTable(props: { events: PoolEvent[]; now: number; older: string | null; poolId: string; range: UsageRange; view: SeatsView }) {
  if (props.events.length === 0) return <p class="muted">Nothing has happened yet.</p>;
  return (
    <>
      <div class="table-wrap">
        <table class="events">
          <thead>
            <tr><th scope="col">When</th><th scope="col">What</th><th scope="col">Who</th><th scope="col">By</th></tr>
          </thead>
          <tbody>
            {props.events.map((e) => (
              <tr class={`event-${e.type}`}>
                <td data-label="When"><When iso={e.at} now={props.now} /></td>
                <td data-label="What"><EventWhat event={e} /></td>
                <td data-label="Who">{e.user !== null || e.machine !== null || e.terminalSession !== null ? <Identity of={e} /> : <span class="muted">–</span>}</td>
                <td data-label="By">{e.actor !== null ? <bdi>{e.actor}</bdi> : <span class="muted">client</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {props.older ? (
        <p><a href={olderEventsPath(props.poolId, props.view, props.range, props.older)}>Older events</a></p>
      ) : null}
    </>
  );
}

function olderEventsPath(poolId: string, view: SeatsView, range: UsageRange, before: string): string {
  const path = poolPagePath(poolId, view, range);
  return `${path}${path.includes("?") ? "&" : "?"}before=${encodeURIComponent(before)}#events`;
}

export function PoolPage(props: { session: DashboardSession; data: PoolPageData; flash?: Flash; now: number; olderView: boolean }) {
  const { session, data, flash, now } = props;
  const { pool } = data;
  const isVendor = session.role === "vendor";
  const range = data.range;
  return (
    <Layout title={isolate(pool.customer)} session={session}>
      <div class="page-head">
        <h1><bdi>{pool.customer}</bdi></h1>
        <p class="muted">
          Pool <code>{pool.poolId}</code> · created <time datetime={pool.createdAt} data-local="">{formatTime(pool.createdAt)}</time>
          {" · "}{pool.region === "eu" ? "kept in the EU" : "region: global"}{pool.locationHint ? ` (placed near ${pool.locationHint})` : ""}
        </p>
      </div>
      <Messages flash={flash} />
      <ShownOnce flash={flash} />

      <div class="grid">
        <section class="card" aria-labelledby="in-use-title">
          <h2 id="in-use-title">Seats in use</h2>
          <Gauge inUse={pool.inUse} seats={pool.seats} />
          {!isVendor ? <p class="help">Need more seats? Ask your vendor's sales team; the number of seats is theirs to change.</p> : null}
        </section>
        <section class="card wide" aria-labelledby="usage-title">
          <div class="card-head">
            <h2 id="usage-title">Usage</h2>
            <nav class="tabs" aria-label="Usage period">
              <a href={poolPagePath(pool.poolId, data.view, "24h")} aria-current={range === "24h" ? "page" : undefined}>Last 24 hours</a>
              <a href={poolPagePath(pool.poolId, data.view, "30d")} aria-current={range === "30d" ? "page" : undefined}>Last 30 days</a>
            </nav>
          </div>
          <UsageChart buckets={data.buckets} seats={pool.seats} range={range} />
          <SeatAdvice advice={data.advice} isVendor={isVendor} />
        </section>
      </div>

      <SeatsSection data={data} session={session} now={now} />
      <WaitingSection data={data} session={session} now={now} />

      <section class="card" aria-labelledby="events-title" id="events">
        <h2 id="events-title">{props.olderView ? "Earlier events" : "Recent events"}</h2>
        <EventsTable events={data.events} now={now} older={data.olderEvents} poolId={pool.poolId} range={range} view={data.view} />
      </section>
      <WebhooksCard poolId={pool.poolId} />

      <div class="grid">
        <section class="card" aria-labelledby="credentials-title">
          <h2 id="credentials-title">Serial number and product key</h2>
          <p>
            Serial number: <GroupedCode id="current-serial" value={pool.serial} />{" "}
            <button type="button" class="copy small" data-copy="current-serial" aria-label="Copy serial number" hidden>Copy</button>
          </p>
          <p class="help">The product key is not shown: only its hash is kept. If it leaked, revoke the pair and issue a new one.</p>
          <form method="post" action={poolPath(pool.poolId, "/credentials")} data-confirm="Revoke this serial number and product key and issue new ones? The old pair stops working at once.">
            <CsrfField session={session} />
            <input type="hidden" name="confirmed" value="" />
            <fieldset>
              <legend>What happens to applications running now?</legend>
              <label class="choice">
                <input type="radio" name="sessions" value="carry-on" required data-confirm="Revoke the serial number and product key and issue new ones? Running applications keep their seats; new starts need the new pair." />
                <span><strong>Running sessions carry on</strong> until the application closes. Only new starts need the new pair.</span>
              </label>
              <label class="choice">
                <input type="radio" name="sessions" value="end-all" required data-confirm="Revoke the serial number and product key, issue new ones and END ALL RUNNING SESSIONS NOW? Every user is told at the next heartbeat." />
                <span><strong>End all sessions now.</strong> Every running application loses its seat at its next heartbeat. Use this when the key leaked.</span>
              </label>
            </fieldset>
            <button type="submit" class="danger">Revoke and reissue</button>
          </form>
          <details class="more">
            <summary>Distributing a new pair by Group Policy</summary>
            <GroupPolicyNote replacing={true} />
          </details>
        </section>

        <section class="card" aria-labelledby="admin-key-title">
          <h2 id="admin-key-title">Admin key</h2>
          <p>
            {isVendor
              ? "Issue a new admin key for this customer's IT department. The current key stops working at once, and anyone signed in with it is signed out."
              : "Replace the admin key you signed in with. The current key stops working at once; anyone else signed in with it is signed out, and you stay signed in."}
          </p>
          <form method="post" action={poolPath(pool.poolId, "/admin-key")} data-confirm="Issue a new admin key? The current admin key stops working at once.">
            <CsrfField session={session} />
            <input type="hidden" name="confirmed" value="" />
            <button type="submit" class="danger">Issue a new admin key</button>
          </form>
        </section>

        <section class="card" aria-labelledby="settings-title">
          <h2 id="settings-title">Settings</h2>
          <form method="post" action={poolPath(pool.poolId, "/settings")} class="settings">
            <CsrfField session={session} />
            <label for="customer">Customer name</label>
            <input id="customer" name="customer" type="text" required maxlength={200} value={pool.customer} />
            {isVendor ? (
              <>
                <label for="seats">Seats</label>
                <input id="seats" name="seats" type="number" inputmode="numeric" min={0} max={1000000} step={1} required value={String(pool.seats)} aria-describedby="seats-help" />
                <p id="seats-help" class="help">Lowering seats below those in use ends no one's session; new checkouts wait until usage drops.</p>
              </>
            ) : (
              <p>Seats: <strong>{pool.seats}</strong> <span class="help">(set by your vendor)</span></p>
            )}
            <label for="min-version">Minimum client version</label>
            <input id="min-version" name="minClientVersion" type="text" inputmode="decimal" maxlength={32} pattern="\d+(\.\d+)*" placeholder="any version" value={pool.minClientVersion ?? ""} aria-describedby="min-version-help" />
            <p id="min-version-help" class="help">A dotted number such as 16.0.2. Older clients, and clients that do not say their version, are refused. Leave empty to accept any.</p>
            <label for="stale-hours">Free a seat after this many hours without a heartbeat</label>
            <input id="stale-hours" name="staleAfterHours" type="number" inputmode="numeric" min={1} max={8760} step={1} placeholder="never" value={pool.staleAfterHours === null ? "" : String(pool.staleAfterHours)} aria-describedby="stale-help" />
            <p id="stale-help" class="help">Leave empty to keep seats until the application closes or an admin frees them, as users expect of a PC that went offline.</p>
            <label for="max-sessions">Most sessions per seat</label>
            <input id="max-sessions" name="maxSessionsPerSeat" type="number" inputmode="numeric" min={1} max={100} step={1} required value={String(pool.maxSessionsPerSeat)} aria-describedby="max-sessions-help" />
            <p id="max-sessions-help" class="help">
              One seat is one user on one machine (and terminal session). Each copy of the application that user starts there is a session on
              the same seat. Past this many, another start is refused, so one shared name cannot carry a whole team. From 1 to 100.
            </p>
            <label for="max-addresses">Most network addresses per seat</label>
            <input id="max-addresses" name="maxAddressesPerSeat" type="number" inputmode="numeric" min={1} max={100} step={1} required value={String(pool.maxAddressesPerSeat)} aria-describedby="max-addresses-help" />
            <p id="max-addresses-help" class="help">
              A seat whose sessions come from more network addresses than this is probably one user and machine name used on several computers.
              It is marked in the list of seats and in the events. From 1 to 100.
            </p>
            <fieldset>
              <legend>When a seat is used from more addresses than that</legend>
              <label class="choice">
                <input type="radio" name="refuseWidelySharedSeats" value="no" checked={!pool.refuseWidelySharedSeats} />
                <span><strong>Only mark it.</strong> The application starts; you see the seat marked and decide.</span>
              </label>
              <label class="choice">
                <input type="radio" name="refuseWidelySharedSeats" value="yes" checked={pool.refuseWidelySharedSeats} />
                <span><strong>Refuse the start.</strong> The user is told the seat is already in use from too many addresses.</span>
              </label>
            </fieldset>
            <label for="max-borrow-days">Let a seat be borrowed to work offline for up to this many days</label>
            <input id="max-borrow-days" name="maxBorrowDays" type="number" inputmode="numeric" min={1} max={90} step={1} placeholder="no borrowing" value={pool.maxBorrowDays == null ? "" : String(pool.maxBorrowDays)} aria-describedby="max-borrow-days-help" />
            <p id="max-borrow-days-help" class="help">
              A borrowed seat stays taken until its end date, so its user can start the application without a connection (on a site or a
              flight). Leave empty to allow no borrowing. From 1 to 90.
            </p>
            <label for="max-borrowed-seats">Most seats borrowed at once</label>
            <input id="max-borrowed-seats" name="maxBorrowedSeats" type="number" inputmode="numeric" min={0} max={100000} step={1} placeholder="no limit" value={pool.maxBorrowedSeats == null ? "" : String(pool.maxBorrowedSeats)} aria-describedby="max-borrowed-seats-help" />
            <p id="max-borrowed-seats-help" class="help">Leave empty for no limit.</p>
            <ReclaimSettings pool={pool} />
            <label for="retention-days">Keep ended sessions and events for this many days</label>
            <input id="retention-days" name="retentionDays" type="number" inputmode="numeric" min={7} max={400} step={1} required value={String(pool.retentionDays)} aria-describedby="retention-help" />
            <p id="retention-help" class="help">Older history, with the user and machine names in it, is deleted. From 7 to 400 days.</p>
            <button type="submit">Save settings</button>
          </form>
        </section>

        <PolicySection pool={pool} session={session} isVendor={isVendor} />
        <DataSection poolId={pool.poolId} session={session} />
      </div>
    </Layout>
  );
}

/** The pool's settings from 1.1 for waiting users (issue 11); a service without them leaves the reclaim fields out. */
type QueueSettings = PoolDetails & { reclaimIdleMinutes?: number | null; reclaimGraceMinutes?: number };

/** Taking idle seats back for someone waiting, and letting users free their own seat held elsewhere. */
function ReclaimSettings(props: { pool: QueueSettings }) {
  const { pool } = props;
  const selfRelease = pool.selfRelease ?? true;
  return (
    <>
      {"reclaimIdleMinutes" in pool ? (
        <>
          <label for="reclaim-idle">Take a seat back for someone waiting after this many idle minutes</label>
          <input id="reclaim-idle" name="reclaimIdleMinutes" type="number" inputmode="numeric" min={1} max={1440} step={1} placeholder="never" value={pool.reclaimIdleMinutes == null ? "" : String(pool.reclaimIdleMinutes)} aria-describedby="reclaim-idle-help" />
          <p id="reclaim-idle-help" class="help">
            While someone waits, a seat whose application says its user has been idle this long is warned, then given to the first in line.
            Only connected applications can be warned, so only their seats are taken back. Leave empty never to take seats back.
          </p>
          <label for="reclaim-grace">Warning before it is taken back (minutes)</label>
          <input id="reclaim-grace" name="reclaimGraceMinutes" type="number" inputmode="numeric" min={0} max={60} step={1} required value={String(pool.reclaimGraceMinutes ?? 5)} aria-describedby="reclaim-grace-help" />
          <p id="reclaim-grace-help" class="help">How long the user has to come back after the warning. From 0 to 60; 0 takes the seat at once.</p>
        </>
      ) : null}
      <fieldset>
        <legend>Users freeing their own seat held on another computer</legend>
        <label class="choice">
          <input type="radio" name="selfRelease" value="yes" checked={selfRelease} />
          <span><strong>Allowed.</strong> A user told all seats are in use may free the seat they left open elsewhere, unless it is in use there right now.</span>
        </label>
        <label class="choice">
          <input type="radio" name="selfRelease" value="no" checked={!selfRelease} />
          <span><strong>Not allowed.</strong> Only an administrator frees seats.</span>
        </label>
      </fieldset>
    </>
  );
}

/** Who holds a seat: a page of 100 at a time, found by user or machine, with links to the next page; a plain GET form, so it needs no script. */
function SeatsSection(props: { data: PoolPageData; session: DashboardSession; now: number }) {
  const { data, session, now } = props;
  const { pool, view, seats } = data;
  const searching = view.q !== "";
  const first = (view.page - 1) * SEATS_PER_PAGE + 1;
  const last = first + seats.length - 1;
  const anyShared = seats.some((s) => s.sharedFromAddresses);
  let summary: Child;
  if (searching) {
    summary = data.seatsTotal === 0
      ? <>No seat in use matches “<bdi>{view.q}</bdi>”.</>
      : <>{`${plural(data.seatsTotal, "seat")} in use ${data.seatsTotal === 1 ? "matches" : "match"} `}“<bdi>{view.q}</bdi>”{seats.length < data.seatsTotal ? `; showing ${first.toLocaleString("en-GB")}–${last.toLocaleString("en-GB")}` : ""}.</>;
  } else if (data.seatsTotal > seats.length && seats.length > 0) {
    summary = <>{`Showing seats ${first.toLocaleString("en-GB")}–${last.toLocaleString("en-GB")} of ${data.seatsTotal.toLocaleString("en-GB")} in use, ${SEATS_PER_PAGE} a page, the longest held first.`}</>;
  } else summary = null;
  return (
    <section class="card" aria-labelledby="seats-title" id="seat-list">
      <h2 id="seats-title">Who holds a seat <span class="count">{pool.inUse.toLocaleString("en-GB")}</span></h2>
      {pool.inUse > 0 || searching ? (
        <form method="get" action={poolPath(pool.poolId, "#seat-list")} class="search" role="search" aria-label="Find seats">
          {data.range !== "24h" ? <input type="hidden" name="range" value={data.range} /> : null}
          <label for="seat-search">Find a seat by user or machine</label>
          <div class="search-row">
            <input id="seat-search" name="q" type="search" maxlength={256} value={view.q} aria-describedby="seat-search-help" />
            <button type="submit" class="small">Search</button>
            {searching ? <a href={poolPagePath(pool.poolId, {}, data.range, "#seat-list")}>Show every seat</a> : null}
          </div>
          <p id="seat-search-help" class="help">Part of a name is enough, in any letter case.</p>
        </form>
      ) : null}
      {summary !== null ? <p class="seats-summary">{summary}</p> : null}
      {seats.length === 0 ? (
        searching ? null : <p class="muted">{view.cursor ? "No more seats are in use." : "No seats are in use."}</p>
      ) : (
        <div class="table-wrap">
          <table class="seats stack">
            <thead>
              <tr>
                <th scope="col">User</th><th scope="col">Machine</th><th scope="col">Terminal session</th>
                <th scope="col">Since</th><th scope="col">Last seen</th><th scope="col">Sessions</th>
                <th scope="col">Connected</th><th scope="col">Idle</th>
                <th scope="col"><span class="visually-hidden">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {seats.map((seat) => (
                <SeatRow seat={seat} poolId={pool.poolId} session={session} now={now} view={view} maxAddresses={pool.maxAddressesPerSeat} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {view.cursor || data.seatsNext ? (
        <nav class="pages" aria-label="Pages of seats">
          {view.cursor ? <a href={poolPagePath(pool.poolId, { q: view.q }, data.range, "#seat-list")}>First page</a> : null}
          {view.cursor && data.seatsNext ? " · " : null}
          {data.seatsNext ? (
            <a href={poolPagePath(pool.poolId, { q: view.q, cursor: data.seatsNext, page: view.page + 1 }, data.range, "#seat-list")} rel="next">
              Next page of seats
            </a>
          ) : null}
        </nav>
      ) : null}
      {anyShared ? (
        <p class="help shared-note">
          <span class="flag">In use from more than {plural(pool.maxAddressesPerSeat, "network address", "network addresses")}</span>: that seat's
          sessions came from more network addresses than the pool allows, so the same user and machine name is probably
          being used on several computers, and several people are sharing one seat.{" "}
          {pool.refuseWidelySharedSeats
            ? "The pool refuses further starts from new addresses on it. Free the seat to end all its sessions."
            : "Free the seat to end all its sessions, or choose in Settings to refuse such starts."}
        </p>
      ) : null}
      <p class="help">
        Freeing a seat ends its sessions: the application learns it at its next heartbeat or when it closes. A seat whose PC went
        offline stays held until it is freed{pool.staleAfterHours ? ` or goes ${plural(pool.staleAfterHours, "hour")} without a heartbeat` : ""}.
      </p>
    </section>
  );
}

/** Who waits for a seat (issue 11), first in line first, each with a Remove button (the Free pattern: asks first, with or without script). */
function WaitingSection(props: { data: PoolPageData; session: DashboardSession; now: number }) {
  const { data, session, now } = props;
  const waiting = data.waiting ?? [];
  const poolId = data.pool.poolId;
  return (
    <section class="card" aria-labelledby="waiting-title" id="waiting">
      <h2 id="waiting-title">Waiting for a seat <span class="count">{waiting.length.toLocaleString("en-GB")}</span></h2>
      {waiting.length === 0 ? (
        <p class="muted">Nobody is waiting for a seat.</p>
      ) : (
        <div class="table-wrap">
          <table class="waiting stack">
            <thead>
              <tr>
                <th scope="col">Place</th><th scope="col">User</th><th scope="col">Machine</th><th scope="col">Terminal session</th>
                <th scope="col">Waiting since</th><th scope="col"><span class="visually-hidden">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {waiting.map((w) => {
                const who = identity(w);
                return (
                  <tr>
                    <td data-label="Place">{w.position}</td>
                    <th scope="row" data-label="User"><bdi>{w.user}</bdi></th>
                    <td data-label="Machine"><bdi>{w.machine}</bdi></td>
                    <td data-label="Terminal session">{w.terminalSession !== null ? <bdi>{w.terminalSession}</bdi> : <span class="muted">console</span>}</td>
                    <td data-label="Waiting since"><When iso={w.since} now={now} /></td>
                    <td data-label="">
                      <ConfirmButton
                        session={session}
                        action={poolPath(poolId, `/queue/${encodeURIComponent(w.ticketId)}/remove`)}
                        confirm={`Take ${who} out of the queue? They stop waiting for a seat.`}
                        label="Remove"
                        ariaLabel={`Remove ${who} from the queue`}
                      />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <p class="help">
        When a seat frees, it goes to the first in line at once. A waiter whose application goes away for a minute drops out, and a
        seat given to someone who does not pick it up within two minutes goes to the next.
      </p>
    </section>
  );
}

/** The pool policy form (issue 12): the term and overdraft are the vendor's, the blocklist and groups the IT department's too. */
function PolicySection(props: { pool: PoolDetails; session: DashboardSession; isVendor: boolean }) {
  const { pool, session, isVendor } = props;
  const day = (t: string | null | undefined, end: boolean) => (t ? new Date(Date.parse(t) - (end ? 86_400_000 : 0)).toISOString().slice(0, 10) : "");
  const blocked = (pool.blocked ?? []).map((b) => (b.user !== undefined ? `user ${b.user}` : `machine ${b.machine}`)).join("\n");
  const groups = Object.entries(pool.groups ?? {})
    .map(([name, g]) => [name, ...(g.reserved !== null ? [`reserved ${g.reserved}`] : []), ...(g.max !== null ? [`max ${g.max}`] : [])].join(", "))
    .join("\n");
  const overdraftInUse = Math.max(0, pool.inUse - pool.seats);
  return (
    <section class="card" aria-labelledby="policy-title">
      <h2 id="policy-title">Pool policy</h2>
      <form method="post" action={poolPath(pool.poolId, "/settings")} class="settings">
        <CsrfField session={session} />
        {isVendor ? (
          <>
            <label for="valid-from">Licence term starts</label>
            <input id="valid-from" name="validFrom" type="date" value={day(pool.validFrom, false)} aria-describedby="term-help" />
            <label for="valid-until">Licence term ends (last day)</label>
            <input id="valid-until" name="validUntil" type="date" value={day(pool.validUntil, true)} aria-describedby="term-help" />
            <p id="term-help" class="help">
              Outside these dates nobody can start the application; people already working carry on. In the last 14 days users are told
              "your organisation's licence ends on …". Leave empty for no start or no end.
            </p>
            <label for="overdraft">Overdraft seats</label>
            <input id="overdraft" name="overdraftSeats" type="number" inputmode="numeric" min={0} max={1000000} step={1} placeholder="none" value={pool.overdraftSeats ? String(pool.overdraftSeats) : ""} aria-describedby="overdraft-help" />
            <p id="overdraft-help" class="help">
              How many people may start beyond the seats bought, so a busy day does not stop work; each such start is marked as overdraft and
              counted in the usage. Now {overdraftInUse} of {pool.overdraftSeats ?? 0} overdraft seats are in use.
            </p>
          </>
        ) : (
          <p>
            Licence term: <strong>{pool.validFrom ? day(pool.validFrom, false) : "open"}</strong> to <strong>{pool.validUntil ? day(pool.validUntil, true) : "open"}</strong>;
            overdraft seats: <strong>{pool.overdraftSeats ?? 0}</strong> <span class="help">(set by your vendor)</span>
          </p>
        )}
        <label for="blocked">Blocked users and machines</label>
        <textarea id="blocked" name="blocked" rows={4} maxlength={20000} placeholder={"user temp-*\nmachine KIOSK-3"} aria-describedby="blocked-help">{blocked}</textarea>
        <p id="blocked-help" class="help">
          One per line: "user NAME" or "machine NAME". A * at the end matches any rest, so "user temp-*" blocks every temp- account. Names compare
          as at sign-in (letter case does not matter). Blocking ends nobody's running session: free the seat for that. A blocked user is told to ask
          the IT department.
        </p>
        <label for="groups">Groups (departments)</label>
        <textarea id="groups" name="groups" rows={4} maxlength={20000} placeholder={"Design, reserved 5, max 10\nSales, max 3"} aria-describedby="groups-help">{groups}</textarea>
        <p id="groups-help" class="help">
          One per line: the group's name, then "reserved N" (seats kept free for it: others are told all seats are in use rather than take them)
          and "max N" (the most it may hold). The reserved seats add up to at most the pool's seats. Each computer names its group with the
          Group Policy value Group, the policy file or SEATKEEPER_GROUP.
          {Object.entries(pool.groups ?? {}).map(([name, g]) => ` ${name}: ${g.inUse} in use.`).join("")}
        </p>
        <button type="submit">Save pool policy</button>
      </form>
    </section>
  );
}

/** The pool's data: an export of all it holds, erasure of one person's names, and (the vendor's) deletion. */
function DataSection(props: { poolId: string; session: DashboardSession }) {
  const { poolId, session } = props;
  return (
    <section class="card" aria-labelledby="data-title" id="data">
      <h2 id="data-title">The pool's data</h2>
      <p>
        <a href={poolPath(poolId, "/export")} download={`seatkeeper-${poolId}.ndjson`}>Export everything this pool holds</a>{" "}
        <span class="help">(NDJSON: the pool, its seats, sessions, events and usage; no secrets)</span>
      </p>
      <form method="post" action={poolPath(poolId, "/erasure")} class="settings" data-confirm="Replace this person's names with “erased” in the pool's history? This cannot be undone.">
        <CsrfField session={session} />
        <input type="hidden" name="confirmed" value="" />
        <label for="erase-user">Erase a person: user name</label>
        <input id="erase-user" name="user" type="text" required maxlength={256} aria-describedby="erase-help" />
        <label for="erase-machine">Machine (optional: that machine only)</label>
        <input id="erase-machine" name="machine" type="text" maxlength={256} />
        <p id="erase-help" class="help">Their names become “erased” in ended seats and in events, and the network addresses of those sessions are removed. A seat they hold now is left alone.</p>
        <button type="submit" class="danger">Erase this person's names</button>
      </form>
      {session.role === "vendor" ? (
        <form method="post" action={poolPath(poolId, "/delete")} data-confirm="Delete this pool and all it holds? Its serial number stops working at once. This cannot be undone.">
          <CsrfField session={session} />
          <input type="hidden" name="confirmed" value="" />
          <p class="help">Deleting the pool removes all it holds; its serial number stops working. Export it first if you need its history.</p>
          <button type="submit" class="danger">Delete this pool</button>
        </form>
      ) : null}
    </section>
  );
}
