/** A person's own dashboard sessions: where they are signed in, and a button to end each other one. */
import type { SessionListing } from "../../../../durable-objects/dashboard-sessions.js";
import type { DashboardSession, Flash } from "../session.js";
import { CsrfField, Layout, Messages } from "./layout.js";

const when = (iso: string) => iso.replace("T", " ").slice(0, 16) + " UTC";

export function SessionsPage(props: { session: DashboardSession; sessions: SessionListing[]; flash?: Flash }) {
  const { session, sessions } = props;
  return (
    <Layout title="Your sessions" session={session}>
      <div class="page-head">
        <h1>Your sessions</h1>
        <p class="muted">Everywhere you are signed in to this dashboard. End a session you do not recognise: that browser is signed out at once.</p>
      </div>
      <Messages flash={props.flash} />
      <section class="card" aria-labelledby="sessions-title">
        <h2 id="sessions-title">Signed in</h2>
        <div class="table-wrap">
          <table class="sessions stack">
            <thead>
              <tr><th scope="col">Browser</th><th scope="col">Signed in with</th><th scope="col">Since</th><th scope="col">Last seen</th><th scope="col"><span class="visually-hidden">Action</span></th></tr>
            </thead>
            <tbody>
              {sessions.map((s) => (
                <tr>
                  <td>{s.userAgent ?? "unknown browser"}</td>
                  <td>{s.via}</td>
                  <td>{when(s.createdAt)}</td>
                  <td>{when(s.lastSeenAt)}</td>
                  <td>
                    {s.current ? (
                      <span>This session</span>
                    ) : (
                      <form method="post" action={`/admin/sessions/${s.handle}/end`} class="inline">
                        <CsrfField session={session} />
                        <button type="submit" aria-label={`End the session signed in since ${when(s.createdAt)}`}>End</button>
                      </form>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </Layout>
  );
}
