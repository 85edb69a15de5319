/** A pool's page: how full it is, how busy it was, who holds each seat, what happened, and its credentials and settings. */
import type { PoolEvent, Seat } from "../../../contract/schemas.js";
import type { PoolPageData } from "../operations.js";
import type { DashboardSession, Flash } from "../session.js";
import { Gauge, UsageChart } from "./charts.js";
import { ago, formatTime, plural } from "./format.js";
import { CsrfField, GroupedCode, GroupPolicyNote, Layout, Messages, ShownOnce } from "./layout.js";

export function poolPath(poolId: string, rest = ""): string {
  return `/admin/pools/${encodeURIComponent(poolId)}${rest}`;
}

export function identity(s: { user: string | null; machine: string | null; terminalSession: string | null }): string {
  const parts = [s.user, s.machine && `on ${s.machine}`, s.terminalSession && `(${s.terminalSession})`].filter(Boolean);
  return parts.join(" ");
}

function When(props: { iso: string; now: number }) {
  return (
    <>
      <time datetime={props.iso} data-local="">{formatTime(props.iso)}</time>
      <span class="ago"> ({ago(props.iso, props.now)})</span>
    </>
  );
}

function SeatRow(props: { seat: Seat; poolId: string; session: DashboardSession; now: number }) {
  const { seat, poolId, session, now } = props;
  const who = identity(seat);
  const confirm = `Free the seat held by ${who}? The application there is told at its next heartbeat that an administrator freed its seat.`;
  return (
    <tr>
      <th scope="row" data-label="User">{seat.user}</th>
      <td data-label="Machine">{seat.machine}</td>
      <td data-label="Terminal session">{seat.terminalSession ?? <span class="muted">console</span>}</td>
      <td data-label="Since"><When iso={seat.since} now={now} /></td>
      <td data-label="Last seen"><When iso={seat.lastSeenAt} now={now} /></td>
      <td data-label="Sessions">{seat.sessions.length}</td>
      <td data-label="">
        <form method="post" action={poolPath(poolId, `/seats/${encodeURIComponent(seat.seatId)}/free`)} data-confirm={confirm}>
          <CsrfField session={session} />
          <input type="hidden" name="confirmed" value="" />
          <button type="submit" class="danger small" aria-label={`Free the seat of ${who}`}>Free</button>
        </form>
      </td>
    </tr>
  );
}

const deniedReasons: Record<string, string> = {
  pool_full: "Turned away: the pool was full",
  credentials_revoked: "Refused: old serial number and product key",
  client_version: "Refused: client version too old",
};

const changeNames: Record<string, string> = {
  seats: "seats",
  customer: "customer",
  minClientVersion: "minimum client version",
  staleAfterHours: "stale-seat expiry (hours)",
};

export function describeEvent(e: PoolEvent): string {
  const d = e.details ?? {};
  switch (e.type) {
    case "pool_created": return "Pool created";
    case "checkout": return d.seatShared ? "Joined a seat it already held" : "Took a seat";
    case "denied": return deniedReasons[String(d.reason)] ?? "Refused";
    case "release": return d.seatFreed ? "Released; seat returned" : "Released one session; seat still held";
    case "freed": return `Seat freed by an administrator (${plural(Number(d.sessionsEnded ?? 0), "session")} ended)`;
    case "expired": return "Seat expired without a heartbeat";
    case "revoked": return `All sessions ended by a revocation (${plural(Number(d.sessionsEnded ?? 0), "session")})`;
    case "credentials_rotated": return d.endSessions ? "Serial and product key reissued; sessions ended" : "Serial and product key reissued; sessions carried on";
    case "admin_key_rotated": return "Admin key replaced";
    case "pool_updated": {
      const changes = Object.entries(d as Record<string, { from: unknown; to: unknown }>)
        .map(([k, v]) => `${changeNames[k] ?? k} ${v.from ?? "none"} → ${v.to ?? "none"}`);
      return changes.length ? `Settings changed: ${changes.join(", ")}` : "Settings saved, nothing changed";
    }
    case "auth_failed": return d.reason === "bad_admin_key" ? "Wrong admin key presented" : "Wrong product key presented";
    default: return e.type;
  }
}

function EventsTable(props: { events: PoolEvent[]; now: number; older: string | null; poolId: string; range: string }) {
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
                <td data-label="What">{describeEvent(e)}</td>
                <td data-label="Who">{identity(e) || <span class="muted">–</span>}</td>
                <td data-label="By">{e.actor ?? <span class="muted">client</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {props.older ? (
        <p><a href={poolPath(props.poolId, `?range=${props.range}&before=${props.older}#events`)}>Older events</a></p>
      ) : null}
    </>
  );
}

export function PoolPage(props: { session: DashboardSession; data: PoolPageData; flash?: Flash; now: number; olderView: boolean }) {
  const { session, data, flash, now } = props;
  const { pool } = data;
  const isVendor = session.role === "vendor";
  const range = data.range;
  return (
    <Layout title={pool.customer} session={session}>
      <div class="page-head">
        <h1>{pool.customer}</h1>
        <p class="muted">
          Pool <code>{pool.poolId}</code> · created <time datetime={pool.createdAt} data-local="">{formatTime(pool.createdAt)}</time>
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
              <a href={poolPath(pool.poolId, "?range=24h")} aria-current={range === "24h" ? "page" : undefined}>Last 24 hours</a>
              <a href={poolPath(pool.poolId, "?range=30d")} aria-current={range === "30d" ? "page" : undefined}>Last 30 days</a>
            </nav>
          </div>
          <UsageChart buckets={data.buckets} seats={pool.seats} range={range} />
        </section>
      </div>

      <section class="card" aria-labelledby="seats-title">
        <h2 id="seats-title">Who holds a seat <span class="count">{data.seats.length}</span></h2>
        {data.seats.length === 0 ? (
          <p class="muted">No seats are in use.</p>
        ) : (
          <div class="table-wrap">
            <table class="seats stack">
              <thead>
                <tr>
                  <th scope="col">User</th><th scope="col">Machine</th><th scope="col">Terminal session</th>
                  <th scope="col">Since</th><th scope="col">Last seen</th><th scope="col">Sessions</th>
                  <th scope="col"><span class="visually-hidden">Actions</span></th>
                </tr>
              </thead>
              <tbody>
                {data.seats.map((seat) => <SeatRow seat={seat} poolId={pool.poolId} session={session} now={now} />)}
              </tbody>
            </table>
          </div>
        )}
        <p class="help">
          Freeing a seat ends its sessions: the application learns it at its next heartbeat or when it closes. A seat whose PC went
          offline stays held until it is freed{pool.staleAfterHours ? ` or goes ${plural(pool.staleAfterHours, "hour")} without a heartbeat` : ""}.
        </p>
      </section>

      <section class="card" aria-labelledby="events-title" id="events">
        <h2 id="events-title">{props.olderView ? "Earlier events" : "Recent events"}</h2>
        <EventsTable events={data.events} now={now} older={data.olderEvents} poolId={pool.poolId} range={range} />
      </section>

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
            <button type="submit">Save settings</button>
          </form>
        </section>
      </div>
    </Layout>
  );
}
