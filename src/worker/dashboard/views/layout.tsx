/** The page shell every dashboard page shares, the messages a form post leaves behind, and a few small parts. */
import { raw } from "hono/html";
import type { Child } from "hono/jsx";
import { ASSET_VERSION } from "../assets.js";
import type { DashboardSession, Flash } from "../session.js";

export const CSS_PATH = `/admin/assets/dashboard.css?v=${ASSET_VERSION}`;
export const JS_PATH = `/admin/assets/dashboard.js?v=${ASSET_VERSION}`;
export const ICON_PATH = `/admin/assets/icon.svg?v=${ASSET_VERSION}`;

export function Layout(props: { title: string; session?: DashboardSession; children?: Child }) {
  const { session } = props;
  return (
    <>
    {raw("<!DOCTYPE html>")}
    <html lang="en-GB">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        {/* Same-origin referrers let browsers without Sec-Fetch-Site send a real Origin on posts. */}
        <meta name="referrer" content="same-origin" />
        <title>{`${props.title} · Seatkeeper`}</title>
        <link rel="icon" href={ICON_PATH} type="image/svg+xml" />
        <link rel="stylesheet" href={CSS_PATH} />
        <script src={JS_PATH} defer></script>
      </head>
      <body>
        <header class="top">
          <a class="brand" href="/admin">Seatkeeper</a>
          {session ? (
            <nav aria-label="Account">
              <span class="who">{session.role === "vendor" ? (session.staff ? `${session.staff.email} (${session.staff.role})` : "Vendor staff") : "Pool admin"}</span>
              {session.role === "vendor" ? <a href="/admin">All pools</a> : null}
              {session.role === "vendor" ? <a href="/admin/webhooks">Webhooks</a> : null}
              <a href="/admin/sessions">Your sessions</a>
              <form method="post" action="/admin/sign-out" class="inline">
                <CsrfField session={session} />
                <button type="submit" class="link-button">Sign out</button>
              </form>
            </nav>
          ) : null}
        </header>
        <main id="main">{props.children}</main>
        <footer class="foot">
          <a href="/docs">API documentation</a>
        </footer>
      </body>
    </html>
    </>
  );
}

export function CsrfField(props: { session: DashboardSession }) {
  return <input type="hidden" name="_csrf" value={props.session.csrf} />;
}

/**
 * A row's small button that asks first: the script asks `confirm` and posts confirmed=yes; without
 * script the server asks on a page of its own. `children` are fields the post carries besides.
 */
export function ConfirmButton(props: { session: DashboardSession; action: string; confirm: string; label: string; ariaLabel: string; children?: Child }) {
  return (
    <form method="post" action={props.action} data-confirm={props.confirm}>
      <CsrfField session={props.session} />
      {props.children}
      <input type="hidden" name="confirmed" value="" />
      <button type="submit" class="danger small" aria-label={props.ariaLabel}>{props.label}</button>
    </form>
  );
}

export function Messages(props: { flash?: Flash; error?: string; notice?: string }) {
  const notice = props.notice ?? props.flash?.notice;
  const error = props.error ?? props.flash?.error;
  return (
    <>
      {error ? <p class="message error" role="alert">{error}</p> : null}
      {notice ? <p class="message notice" role="status">{notice}</p> : null}
    </>
  );
}

/** A dash-grouped code (serial number, product key, admin key) that wraps between its groups, never inside one. */
export function GroupedCode(props: { value: string; id?: string; labelledBy?: string }) {
  const groups = props.value.split("-");
  return (
    <code id={props.id} aria-labelledby={props.labelledBy} class="grouped">
      {groups.map((g, i) => (i < groups.length - 1 ? <>{`${g}-`}<wbr /></> : g))}
    </code>
  );
}

/** Secrets shown once, each with a copy button the page script reveals. */
export function ShownOnce(props: { flash?: Flash }) {
  const f = props.flash;
  if (!f?.secrets?.length) return null;
  const one = f.secrets.length === 1;
  // A pool's first pair comes with its first admin key; a reissued pair never does.
  const firstPair = f.secrets.some((s) => s.label === "Admin key");
  return (
    <section class="card shown-once" aria-labelledby="shown-once-title">
      <h2 id="shown-once-title">{f.secretsTitle ?? "New credentials"}: shown once</h2>
      <p>
        {one
          ? "Copy it now and keep it somewhere safe. Seatkeeper keeps only a hash of it and cannot show it again."
          : "Copy them now and keep them somewhere safe. Seatkeeper keeps only a hash of each secret and cannot show them again."}
      </p>
      <dl class="secrets">
        {f.secrets.map((s, i) => (
          <div class="secret">
            <dt id={`secret-label-${i}`}>{s.label}</dt>
            <dd>
              <GroupedCode id={`secret-${i}`} labelledBy={`secret-label-${i}`} value={s.value} />
              <button type="button" class="copy" data-copy={`secret-${i}`} aria-label={`Copy ${s.label.toLowerCase()}`} hidden>
                Copy
              </button>
            </dd>
          </div>
        ))}
      </dl>
      <p class="copy-status" role="status" aria-live="polite"></p>
      {f.forClients ? <GroupPolicyNote replacing={!firstPair} /> : null}
    </section>
  );
}

/**
 * Where the SDK and CLI read their settings on Windows (src/client/config.ts); spelled out here because the Worker does not import the client.
 * `replacing`: the pair replaces a revoked one, so PCs that still have the old pair are refused until the policy reaches them.
 */
export function GroupPolicyNote(props: { replacing: boolean }) {
  return (
    <div class="note">
      <h3>Distributing them by Group Policy</h3>
      <p>
        Seatkeeper clients read the pair from the registry values <code>Serial</code> and <code>ProductKey</code> (REG_SZ) under{" "}
        <code>HKLM\SOFTWARE\Policies\Seatkeeper</code>.{" "}
        {props.replacing ? "Update the Group Policy Object that sets them" : "Set them with a Group Policy Object"} (a Group Policy
        Preferences registry item, or the Seatkeeper administrative template that{" "}
        <code>seatkeeper policy-template --serial … --product-key …</code> writes along with a .reg file), then let the next
        policy refresh or <code>gpupdate</code> carry it out.
        {props.replacing ? (
          ` A PC that still has the old pair is refused with "credentials revoked" when the application next starts, and its user is told to ask IT for the new pair.`
        ) : (
          <> On a PC outside Group Policy, the policy file or the environment variables <code>SEATKEEPER_SERIAL</code> and <code>SEATKEEPER_PRODUCT_KEY</code> do the same.</>
        )}
      </p>
    </div>
  );
}

export function ErrorPage(props: { title: string; message: string; session?: DashboardSession; back?: { href: string; label: string } }) {
  return (
    <Layout title={props.title} session={props.session}>
      <section class="card narrow">
        <h1>{props.title}</h1>
        <p class="message error" role="alert">{props.message}</p>
        <p>
          <a href={props.back?.href ?? "/admin"}>{props.back?.label ?? "Back to the dashboard"}</a>
        </p>
      </section>
    </Layout>
  );
}

/** The confirmation a form asks for when the page script did not (it runs window.confirm instead). */
export function ConfirmPage(props: {
  session: DashboardSession;
  title: string;
  message: Child;
  action: string;
  fields: Record<string, string>;
  submitLabel: string;
  cancelHref: string;
}) {
  return (
    <Layout title={props.title} session={props.session}>
      <section class="card narrow">
        <h1>{props.title}</h1>
        <p>{props.message}</p>
        <form method="post" action={props.action} class="actions">
          <CsrfField session={props.session} />
          {Object.entries(props.fields).map(([name, value]) => (
            <input type="hidden" name={name} value={value} />
          ))}
          <input type="hidden" name="confirmed" value="yes" />
          <button type="submit" class="danger">{props.submitLabel}</button>
          <a class="button secondary" href={props.cancelHref}>Cancel</a>
        </form>
      </section>
    </Layout>
  );
}
