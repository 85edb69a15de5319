/** The vendor's view: every pool with its customer, seats and use; a form to create a pool; seat counts changed in place. */
import type { PoolListEntry } from "../operations.js";
import type { DashboardSession, Flash } from "../session.js";
import { isolate } from "./format.js";
import { CsrfField, Layout, Messages, ShownOnce } from "./layout.js";
import { poolPath } from "./pool-page.js";

function UseBar(props: { inUse: number; seats: number }) {
  const pct = props.seats === 0 ? (props.inUse > 0 ? 100 : 0) : Math.min(100, Math.round((props.inUse / props.seats) * 100));
  const level = props.inUse >= props.seats && props.seats > 0 ? "full" : pct >= 80 ? "high" : "ok";
  return (
    <span class="use">
      <svg viewBox="0 0 100 8" class={`use-bar gauge-${level}`} aria-hidden="true" focusable="false">
        <rect x="0" y="0" width="100" height="8" rx="4" class="gauge-track-fill" />
        {pct > 0 ? <rect x="0" y="0" width={String(pct)} height="8" rx="4" class="gauge-value-fill" /> : null}
      </svg>
      <span>{`${props.inUse} of ${props.seats}`}</span>
    </span>
  );
}

export function VendorPage(props: { session: DashboardSession; pools: PoolListEntry[]; next: string | null; after?: string; flash?: Flash }) {
  const { session, pools } = props;
  return (
    <Layout title="All pools" session={session}>
      <div class="page-head">
        <h1>All pools</h1>
        <p class="muted">Every customer's pool, its seats and how many are in use now.</p>
      </div>
      <Messages flash={props.flash} />
      <ShownOnce flash={props.flash} />
      <section class="card" aria-labelledby="pools-title">
        <h2 id="pools-title">Pools</h2>
        {pools.length === 0 ? (
          <p class="muted">No pools yet. Create the first one below.</p>
        ) : (
          <div class="table-wrap">
            <table class="pools stack">
              <thead>
                <tr><th scope="col">Customer</th><th scope="col">Pool</th><th scope="col">In use</th><th scope="col">Seats</th></tr>
              </thead>
              <tbody>
                {pools.map((p) => (
                  <tr>
                    <th scope="row" data-label="Customer"><a href={poolPath(p.poolId)}><bdi>{p.customer}</bdi></a></th>
                    <td data-label="Pool"><code>{p.poolId}</code></td>
                    <td data-label="In use"><UseBar inUse={p.inUse} seats={p.seats} /></td>
                    <td data-label="Seats">
                      <form method="post" action={poolPath(p.poolId, "/settings")} class="inline-edit">
                        <CsrfField session={session} />
                        <input type="hidden" name="back" value="list" />
                        <input
                          name="seats"
                          type="number"
                          inputmode="numeric"
                          min={0}
                          max={1000000}
                          step={1}
                          required
                          value={String(p.seats)}
                          aria-label={`Seats for ${isolate(p.customer)}`}
                        />
                        <button type="submit" class="small" aria-label={`Set seats for ${isolate(p.customer)}`}>Set</button>
                      </form>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <p>
          {props.after ? <a href="/admin">First page</a> : null}
          {props.after && props.next ? " · " : null}
          {props.next ? <a href={`/admin?after=${encodeURIComponent(props.next)}`}>Next page</a> : null}
        </p>
      </section>

      <section class="card narrow-form" aria-labelledby="create-title">
        <h2 id="create-title">Create a pool</h2>
        <form method="post" action="/admin/pools" class="settings">
          <CsrfField session={session} />
          <label for="new-customer">Customer</label>
          <input id="new-customer" name="customer" type="text" required maxlength={200} autocomplete="organization" />
          <label for="new-seats">Seats</label>
          <input id="new-seats" name="seats" type="number" inputmode="numeric" min={0} max={1000000} step={1} required />
          <label for="new-min-version">Minimum client version (optional)</label>
          <input id="new-min-version" name="minClientVersion" type="text" inputmode="decimal" maxlength={32} pattern="\d+(\.\d+)*" placeholder="any version" />
          <label for="new-stale-hours">Free seats after hours without a heartbeat (optional)</label>
          <input id="new-stale-hours" name="staleAfterHours" type="number" inputmode="numeric" min={1} max={8760} step={1} placeholder="never" />
          <p class="help">The serial number, product key and admin key are shown once, on the next page.</p>
          <button type="submit">Create pool</button>
        </form>
      </section>
    </Layout>
  );
}
