import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DashboardSessions, IDLE_MS, MAX_MS } from "../../durable-objects/dashboard-sessions";
import { directoryMigrations, runMigrations } from "../../durable-objects/migrations";

function freshDirectory() {
  return env.DIRECTORY.get(env.DIRECTORY.idFromName(`sessions-${crypto.randomUUID()}`));
}

const noStaff = () => null;
const T0 = 1_800_000_000_000;

describe("dashboard sessions kept on the server", () => {
  it("lapse after 30 idle minutes, and after 8 hours however busy", async () => {
    await runInDurableObject(freshDirectory(), (_i, state) => {
      runMigrations(state.storage, directoryMigrations);
      const sessions = new DashboardSessions(state.storage.sql);
      sessions.start({ idHash: "idle", kind: "vendor", csrf: "c", via: "vendor token" }, T0);
      expect(sessions.open("idle", T0 + IDLE_MS - 1, noStaff).ok).toBe(true);
      expect(sessions.open("idle", T0 + 2 * IDLE_MS, noStaff)).toEqual({ ok: false, reason: "expired" });
      // gone for good: it does not come back
      expect(sessions.open("idle", T0, noStaff)).toEqual({ ok: false, reason: "missing" });

      sessions.start({ idHash: "busy", kind: "vendor", csrf: "c", via: "vendor token" }, T0);
      let t = T0;
      while (t < T0 + MAX_MS - IDLE_MS) {
        t += 10 * 60_000;
        expect(sessions.open("busy", t, noStaff).ok).toBe(true);
      }
      expect(sessions.open("busy", T0 + MAX_MS + 1, noStaff)).toEqual({ ok: false, reason: "expired" });
    });
  });

  it("write last-seen at most every five minutes", async () => {
    await runInDurableObject(freshDirectory(), (_i, state) => {
      runMigrations(state.storage, directoryMigrations);
      const sessions = new DashboardSessions(state.storage.sql);
      sessions.start({ idHash: "s", kind: "vendor", csrf: "c", via: "vendor token" }, T0);
      const lastSeen = () => state.storage.sql.exec<{ t: number }>("SELECT last_seen_at AS t FROM dashboard_sessions").one().t;
      sessions.open("s", T0 + 60_000, noStaff);
      expect(lastSeen()).toBe(T0);
      sessions.open("s", T0 + 5 * 60_000, noStaff);
      expect(lastSeen()).toBe(T0 + 5 * 60_000);
    });
  });

  it("store only the id's hash, and end a staff member's sessions when they are disabled", async () => {
    const stub = freshDirectory();
    const added = await stub.addStaff({ staffId: "SF1", email: "jo@vendor.example", name: "Jo", role: "owner", tokenHash: "t" });
    expect(added.ok).toBe(true);
    await stub.startDashboardSession({ idHash: "h1", kind: "staff", staffId: "SF1", csrf: "c", via: "staff token" });
    await stub.startDashboardSession({ idHash: "h2", kind: "staff", staffId: "SF1", csrf: "c", via: "staff token" });
    expect((await stub.listDashboardSessions("h1")).map((s) => s.current).sort()).toEqual([false, true]);
    expect((await stub.openDashboardSession("h1")).ok).toBe(true);
    await stub.updateStaff("SF1", { disabled: true });
    expect(await stub.openDashboardSession("h1")).toEqual({ ok: false, reason: "missing" });
    expect(await stub.openDashboardSession("h2")).toEqual({ ok: false, reason: "missing" });
  });
});
