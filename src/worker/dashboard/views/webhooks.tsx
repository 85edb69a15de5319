/**
 * Webhooks in the dashboard: a pool's (or, for the vendor, every pool's) subscriptions, the
 * form that adds one and shows its signing secret once, and each webhook's delivery log.
 */
import type { Delivery, Webhook, WebhookEventType } from "../../../contract/schemas.js";
import { webhookEventTypes } from "../../../contract/schemas.js";
import type { DashboardSession, Flash } from "../session.js";
import { ago, formatTime, isolate, plural } from "./format.js";
import { ConfirmButton, CsrfField, Layout, Messages } from "./layout.js";
import { poolPath } from "./pool-page.js";

/** Whose webhooks a page shows: one pool's, or the vendor's for every pool. */
export type WebhookScope = { kind: "pool"; poolId: string; customer: string; alertThresholdPercent: number } | { kind: "vendor" };

export function webhooksPath(scope: WebhookScope, rest = ""): string {
  return scope.kind === "pool" ? poolPath(scope.poolId, `/webhooks${rest}`) : `/admin/webhooks${rest}`;
}

/** What each event type tells, in the contract's words (docs/api.md, "Webhooks"). */
export function eventDescription(type: WebhookEventType, thresholdPercent?: number): string {
  switch (type) {
    case "pool.usage_high":
      return thresholdPercent !== undefined
        ? `Seats in use reached ${thresholdPercent}% of the pool's seats; once, until use falls 10 points below`
        : "Seats in use reached a pool's alert threshold (90% unless set otherwise); once, until use falls 10 points below";
    case "pool.denied": return "Someone was turned away because the pool or their group was full; the first time in an hour";
    case "seat.freed": return "An administrator freed a seat";
    case "seat.reclaimed": return "A seat was taken back from an idle holder for someone waiting in the queue";
    case "credentials.rotated": return "The serial number and product key were reissued";
    case "pool.expiring": return "The licence term ends in 14 days, and again 3 days before";
    case "queue.waiting": return "Someone has waited 5 minutes in the queue for a seat";
  }
}

/** The pool page's pointer to its webhooks. */
export function WebhooksCard(props: { poolId: string }) {
  return (
    <section class="card" aria-labelledby="webhooks-card-title" id="webhooks">
      <h2 id="webhooks-card-title">Webhooks</h2>
      <p>
        Have Seatkeeper tell your own systems (a chat channel, a ticket queue, monitoring) when the pool nears full, someone is turned away,
        a seat is freed or the credentials are reissued.
      </p>
      <p><a href={poolPath(props.poolId, "/webhooks")}>Webhooks and their deliveries</a></p>
    </section>
  );
}

/** A URL someone typed, in its own `<bdi>` so a right-to-left path cannot reorder the text around it. */
function Url(props: { url: string }) {
  return <code class="webhook-url"><bdi>{props.url}</bdi></code>;
}

/** The signing secret just made, on the page the add redirects to: this is the only time it is shown. */
function SecretOnce(props: { flash?: Flash }) {
  const s = props.flash?.secrets?.[0];
  if (!s) return null;
  return (
    <section class="card shown-once" aria-labelledby="webhook-secret-title">
      <h2 id="webhook-secret-title">{props.flash?.secretsTitle ?? "The webhook's signing secret"}: shown once</h2>
      <p>
        Copy it now into your receiver's settings. It is shown only this once, here: the list of webhooks never shows it again.
        If you lose it, remove the webhook and add it again for a new secret.
      </p>
      <dl class="secrets">
        <div class="secret">
          <dt id="webhook-secret-label">{s.label}</dt>
          <dd>
            <code id="webhook-secret" aria-labelledby="webhook-secret-label">{s.value}</code>
            <button type="button" class="copy" data-copy="webhook-secret" aria-label="Copy signing secret" hidden>Copy</button>
          </dd>
        </div>
      </dl>
      <p class="copy-status" role="status" aria-live="polite"></p>
      <p class="help">
        Your receiver checks each delivery's <code>webhook-signature</code> header with it (the Standard Webhooks scheme, which the{" "}
        <code>standardwebhooks</code> libraries implement) and ignores a delivery whose signature does not match.
      </p>
    </section>
  );
}

function WebhookRow(props: { webhook: Webhook; scope: WebhookScope; session: DashboardSession; now: number; canChange: boolean }) {
  const { webhook: w, scope, session } = props;
  return (
    <tr>
      <th scope="row" data-label="URL"><Url url={w.url} /></th>
      <td data-label="Events">{w.events.map((e, i) => <>{i > 0 ? ", " : ""}<code>{e}</code></>)}</td>
      <td data-label="Created"><time datetime={w.createdAt} data-local="">{formatTime(w.createdAt)}</time><span class="ago"> ({ago(w.createdAt, props.now)})</span></td>
      <td data-label="">
        {scope.kind === "pool" ? (
          <a href={webhooksPath(scope, `/${encodeURIComponent(w.webhookId)}`)} aria-label={`Delivery log of the webhook to ${isolate(w.url)}`}>Delivery log</a>
        ) : null}
      </td>
      <td data-label="">
        {props.canChange ? <ConfirmButton
          session={session}
          action={webhooksPath(scope, `/${encodeURIComponent(w.webhookId)}/remove`)}
          confirm={`Remove the webhook to ${isolate(w.url)}? Nothing more is sent to it, and deliveries still waiting for a retry are dropped.`}
          label="Remove"
          ariaLabel={`Remove the webhook to ${isolate(w.url)}`}
        /> : null}
      </td>
    </tr>
  );
}

function AddForm(props: { scope: WebhookScope; session: DashboardSession }) {
  const { scope } = props;
  const threshold = scope.kind === "pool" ? scope.alertThresholdPercent : undefined;
  return (
    <section class="card narrow-form" aria-labelledby="add-webhook-title">
      <h2 id="add-webhook-title">Add a webhook</h2>
      <form method="post" action={webhooksPath(scope)} class="settings">
        <CsrfField session={props.session} />
        <label for="webhook-url">URL to deliver to</label>
        <input id="webhook-url" name="url" type="url" required maxlength={2048} placeholder="https://it.example.com/seatkeeper" aria-describedby="webhook-url-help" />
        <p id="webhook-url-help" class="help">
          Seatkeeper POSTs each event there as JSON. It must be an https address on the internet, not a private, loopback or link-local one.
          A delivery not answered with a 2xx within 10 seconds is tried again after about 30 s, 2 min, 10 min, 1 h and 6 h, then given up.
        </p>
        <fieldset>
          <legend>Events to send</legend>
          {webhookEventTypes.map((type) => (
            <label class="choice">
              <input type="checkbox" name="events" value={type} />
              <span><code>{type}</code>: {eventDescription(type, threshold)}</span>
            </label>
          ))}
        </fieldset>
        <p class="help">The signing secret is shown once, on the next page.</p>
        <button type="submit">Add webhook</button>
      </form>
    </section>
  );
}

/**
 * `canChange`: the add form and the Remove buttons are shown (a vendor-wide webhook is an owner's to change; the server decides either way).
 * `vendorWide`: on a pool's page for the vendor, the vendor-wide webhooks that also get this pool's events, each with its log from this pool.
 */
export function WebhooksPage(props: {
  session: DashboardSession; scope: WebhookScope; webhooks: Webhook[]; flash?: Flash; now: number; canChange?: boolean; vendorWide?: Webhook[];
}) {
  const { session, scope, webhooks } = props;
  const canChange = props.canChange ?? true;
  const title = scope.kind === "pool" ? `Webhooks of ${isolate(scope.customer)}` : "Webhooks for every pool";
  return (
    <Layout title={title} session={session}>
      <div class="page-head">
        {scope.kind === "pool" ? (
          <>
            <p><a href={poolPath(scope.poolId)}>Back to <bdi>{scope.customer}</bdi></a></p>
            <h1>Webhooks of <bdi>{scope.customer}</bdi></h1>
            <p class="muted">Where Seatkeeper sends this pool's events. Pool <code>{scope.poolId}</code>.</p>
          </>
        ) : (
          <>
            <p><a href="/admin">Back to all pools</a></p>
            <h1>Webhooks for every pool</h1>
            <p class="muted">Where Seatkeeper sends the events of every pool you sell; each delivery names its pool in <code>data.poolId</code>.</p>
          </>
        )}
      </div>
      <Messages flash={props.flash} />
      <SecretOnce flash={props.flash} />
      <section class="card" aria-labelledby="webhooks-title">
        <h2 id="webhooks-title">Webhooks <span class="count">{webhooks.length}</span></h2>
        {webhooks.length === 0 ? (
          <p class="muted">{canChange ? "No webhooks yet. Add one below." : "No webhooks yet."}</p>
        ) : (
          <div class="table-wrap">
            <table class="webhooks stack">
              <thead>
                <tr>
                  <th scope="col">URL</th><th scope="col">Events</th><th scope="col">Created</th>
                  <th scope="col"><span class="visually-hidden">Deliveries</span></th><th scope="col"><span class="visually-hidden">Actions</span></th>
                </tr>
              </thead>
              <tbody>
                {webhooks.map((w) => <WebhookRow webhook={w} scope={scope} session={session} now={props.now} canChange={canChange} />)}
              </tbody>
            </table>
          </div>
        )}
        {scope.kind === "vendor" ? (
          <p class="help">Each pool keeps the log of its own deliveries to these webhooks: open a pool's Webhooks page to see it.</p>
        ) : null}
        {!canChange ? <p class="help">Only the vendor's owners can add or remove vendor-wide webhooks.</p> : null}
      </section>
      {props.vendorWide && props.vendorWide.length > 0 && scope.kind === "pool" ? <VendorWideSection scope={scope} webhooks={props.vendorWide} /> : null}
      {canChange ? <AddForm scope={scope} session={session} /> : null}
    </Layout>
  );
}

/** The vendor's webhooks for every pool, as a pool's page shows them to the vendor: each one's log of this pool's deliveries. */
function VendorWideSection(props: { scope: WebhookScope & { kind: "pool" }; webhooks: Webhook[] }) {
  return (
    <section class="card" aria-labelledby="vendor-wide-title">
      <h2 id="vendor-wide-title">Vendor-wide webhooks <span class="count">{props.webhooks.length}</span></h2>
      <p class="help">
        These get the events of every pool, this one's too. Add and remove them on the <a href="/admin/webhooks">vendor's Webhooks page</a>.
      </p>
      <div class="table-wrap">
        <table class="vendor-webhooks stack">
          <thead>
            <tr><th scope="col">URL</th><th scope="col">Events</th><th scope="col"><span class="visually-hidden">Deliveries</span></th></tr>
          </thead>
          <tbody>
            {props.webhooks.map((w) => (
              <tr>
                <th scope="row" data-label="URL"><Url url={w.url} /></th>
                <td data-label="Events">{w.events.map((e, i) => <>{i > 0 ? ", " : ""}<code>{e}</code></>)}</td>
                <td data-label="">
                  <a href={webhooksPath(props.scope, `/${encodeURIComponent(w.webhookId)}`)} aria-label={`This pool's deliveries to the vendor-wide webhook to ${isolate(w.url)}`}>
                    This pool's deliveries
                  </a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function DeliveryStatus(props: { delivery: Delivery }) {
  const d = props.delivery;
  if (d.status === "delivered") return <span class="status-delivered">Delivered</span>;
  if (d.status === "failed") return <span class="flag failed">Failed: given up after {plural(d.attempts, "attempt")}</span>;
  return <span class="status-pending">{d.attempts === 0 ? "Sending" : "Retrying"}</span>;
}

/** `vendorWide`: the webhook is the vendor's for every pool, and these are its deliveries from this pool. */
export function DeliveriesPage(props: { session: DashboardSession; scope: WebhookScope; webhook: Webhook; deliveries: Delivery[]; now: number; vendorWide?: boolean }) {
  const { scope, webhook, deliveries } = props;
  const failed = deliveries.filter((d) => d.status === "failed").length;
  return (
    <Layout title="Webhook deliveries" session={props.session}>
      <div class="page-head">
        <p><a href={webhooksPath(scope)}>Back to the webhooks</a></p>
        <h1>Deliveries to <Url url={webhook.url} /></h1>
        <p class="muted">
          {props.vendorWide ? <>A vendor-wide webhook; its deliveries from this pool · </> : null}
          {scope.kind === "pool" ? <>Pool <bdi>{scope.customer}</bdi> · </> : <>Every pool · </>}
          events: {webhook.events.join(", ")}
        </p>
      </div>
      <section class="card" aria-labelledby="deliveries-title">
        <h2 id="deliveries-title">Delivery log <span class="count">{deliveries.length}</span></h2>
        {failed > 0 ? (
          <p class="message error" role="alert">
            {`${plural(failed, "delivery", "deliveries")} failed: the receiver did not answer with a 2xx after every retry. Check that it is up and reachable from the internet.`}
          </p>
        ) : null}
        {deliveries.length === 0 ? (
          <p class="muted">Nothing has been sent to this webhook yet.</p>
        ) : (
          <div class="table-wrap">
            <table class="deliveries stack">
              <thead>
                <tr><th scope="col">Event</th><th scope="col">When</th><th scope="col">Attempts</th><th scope="col">Status</th><th scope="col">Last error</th></tr>
              </thead>
              <tbody>
                {deliveries.map((d) => (
                  <tr class={`delivery delivery-${d.status}`} data-delivery-id={d.id}>
                    <th scope="row" data-label="Event"><code>{d.type}</code></th>
                    <td data-label="When"><time datetime={d.at} data-local="">{formatTime(d.at)}</time><span class="ago"> ({ago(d.at, props.now)})</span></td>
                    <td data-label="Attempts">{String(d.attempts)}</td>
                    <td data-label="Status"><DeliveryStatus delivery={d} /></td>
                    <td data-label="Last error">{d.lastError !== null ? <bdi>{d.lastError}</bdi> : <span class="muted">none</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <p class="help">
          The latest 100 deliveries, newest first. Each retry carries the same <code>webhook-id</code> header, so a receiver can ignore one it has
          handled already.
        </p>
      </section>
    </Layout>
  );
}
