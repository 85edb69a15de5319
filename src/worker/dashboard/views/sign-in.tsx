/** The sign-in page: one field for either credential, posted, never put in a URL. */
import { Layout, Messages } from "./layout.js";

export function SignInPage(props: { error?: string; notice?: string; withProvider?: boolean }) {
  return (
    <Layout title="Sign in">
      <section class="card narrow sign-in">
        <h1>Sign in to the licence dashboard</h1>
        <Messages error={props.error} notice={props.notice} />
        {props.withProvider ? (
          <p><a class="button" href="/admin/oidc/start">Sign in with your organisation's account</a></p>
        ) : null}
        <form method="get" action="/admin/oidc/start">
          <label for="sso-pool">IT departments whose pool has single sign-on: your pool id</label>
          <input id="sso-pool" name="pool" type="text" required spellcheck={false} autocapitalize="characters" />
          <button type="submit">Continue with your organisation</button>
        </form>
        <form method="post" action="/admin/sign-in">
          <label for="credential">Pool admin key or vendor token</label>
          <input
            id="credential"
            name="credential"
            type="password"
            required
            autocomplete="current-password"
            spellcheck={false}
            autocapitalize="off"
            aria-describedby="credential-help"
          />
          <p id="credential-help" class="help">
            IT departments: the admin key starts with <code>AK-</code>. Vendor staff: your staff token (<code>ST-</code>) or the vendor token.
          </p>
          <button type="submit">Sign in</button>
        </form>
      </section>
    </Layout>
  );
}
