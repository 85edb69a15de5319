/**
 * The dashboard's sign-in sessions, kept on the server (in the directory object, migration 2).
 * The cookie holds only a random id; this table holds its SHA-256, so a copied database
 * opens nothing, and deleting the row ends the session for every copy of its cookie.
 * A session lapses after 30 minutes without a page load and after 8 hours in all; its
 * last-seen time is written at most every 5 minutes, not on every page.
 */
import type { StaffMember } from "../src/contract/schemas.js";
import { iso } from "./contract-shapes.js";

export const IDLE_MS = 30 * 60_000;
export const MAX_MS = 8 * 3_600_000;
const TOUCH_EVERY_MS = 5 * 60_000;

export type SessionKind = "vendor" | "staff" | "admin";

interface Row {
  id_hash: string;
  kind: SessionKind;
  staff_id: string | null;
  pool_id: string | null;
  admin_id: string | null;
  admin_key_hash: string | null;
  sso_email: string | null;
  csrf: string;
  via: string;
  user_agent: string | null;
  created_at: number;
  last_seen_at: number;
}

/** Who a new session is for, and how they signed in (`token`, `key`, `oidc`). */
export interface NewDashboardSession {
  idHash: string;
  kind: SessionKind;
  staffId?: string;
  poolId?: string;
  adminId?: string;
  adminKeyHash?: string;
  ssoEmail?: string;
  csrf: string;
  via: string;
  userAgent?: string;
}

/** A session as the dashboard uses it; `handle` names it to its owner without revealing its id. */
export interface StoredDashboardSession {
  handle: string;
  kind: SessionKind;
  staffId: string | null;
  poolId: string | null;
  adminId: string | null;
  adminKeyHash: string | null;
  ssoEmail: string | null;
  csrf: string;
  via: string;
  userAgent: string | null;
  createdAt: number;
  lastSeenAt: number;
}

/** One of a person's sessions, as their list shows it. */
export interface SessionListing {
  handle: string;
  via: string;
  userAgent: string | null;
  createdAt: string;
  lastSeenAt: string;
  current: boolean;
}

const handleOf = (idHash: string) => idHash.slice(0, 16);

function stored(r: Row): StoredDashboardSession {
  return {
    handle: handleOf(r.id_hash), kind: r.kind, staffId: r.staff_id, poolId: r.pool_id, adminId: r.admin_id, adminKeyHash: r.admin_key_hash,
    ssoEmail: r.sso_email, csrf: r.csrf, via: r.via, userAgent: r.user_agent, createdAt: r.created_at, lastSeenAt: r.last_seen_at,
  };
}

export type OpenedSession = { ok: true; session: StoredDashboardSession; staff: StaffMember | null } | { ok: false; reason: "missing" | "expired" };

export class DashboardSessions {
  constructor(private readonly sql: SqlStorage) {}

  private row(idHash: string): Row | undefined {
    return this.sql.exec<Row & Record<string, SqlStorageValue>>("SELECT * FROM dashboard_sessions WHERE id_hash = ?", idHash).toArray()[0];
  }

  start(s: NewDashboardSession, now: number): StoredDashboardSession {
    // sessions are few; dropping the lapsed ones here keeps the table to those that can still open
    this.sql.exec("DELETE FROM dashboard_sessions WHERE last_seen_at < ? OR created_at < ?", now - IDLE_MS, now - MAX_MS);
    const r: Row = {
      id_hash: s.idHash, kind: s.kind, staff_id: s.staffId ?? null, pool_id: s.poolId ?? null, admin_id: s.adminId ?? null,
      admin_key_hash: s.adminKeyHash ?? null, sso_email: s.ssoEmail ?? null, csrf: s.csrf, via: s.via, user_agent: s.userAgent ?? null,
      created_at: now, last_seen_at: now,
    };
    this.sql.exec(
      `INSERT INTO dashboard_sessions (id_hash, kind, staff_id, pool_id, admin_id, admin_key_hash, sso_email, csrf, via, user_agent, created_at, last_seen_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      r.id_hash, r.kind, r.staff_id, r.pool_id, r.admin_id, r.admin_key_hash, r.sso_email, r.csrf, r.via, r.user_agent, r.created_at, r.last_seen_at,
    );
    return stored(r);
  }

  /** The session of a cookie's id hash, if current; slides its idle window. */
  open(idHash: string, now: number, staffOf: (staffId: string) => StaffMember | null): OpenedSession {
    const r = this.row(idHash);
    if (!r) return { ok: false, reason: "missing" };
    if (r.last_seen_at < now - IDLE_MS || r.created_at < now - MAX_MS) {
      this.end(idHash);
      return { ok: false, reason: "expired" };
    }
    const staff = r.staff_id === null ? null : staffOf(r.staff_id);
    // a removed or disabled person's sessions were ended with them; this is the belt to those braces
    if (r.kind === "staff" && (!staff || staff.disabled)) {
      this.end(idHash);
      return { ok: false, reason: "missing" };
    }
    if (now - r.last_seen_at >= TOUCH_EVERY_MS) {
      this.sql.exec("UPDATE dashboard_sessions SET last_seen_at = ? WHERE id_hash = ?", now, idHash);
      r.last_seen_at = now;
    }
    return { ok: true, session: stored(r), staff };
  }

  end(idHash: string): void {
    this.sql.exec("DELETE FROM dashboard_sessions WHERE id_hash = ?", idHash);
  }

  /** The sessions of the person who holds `idHash`: the same staff member, pool admin, or the vendor token. */
  private samePerson(r: Row): Row[] {
    const all = <T>(q: string, ...p: unknown[]) => this.sql.exec<Row & Record<string, SqlStorageValue>>(q, ...p).toArray() as T[];
    if (r.kind === "staff") return all<Row>("SELECT * FROM dashboard_sessions WHERE staff_id = ?", r.staff_id);
    if (r.kind === "vendor") return all<Row>("SELECT * FROM dashboard_sessions WHERE kind = 'vendor'");
    const ofPool = all<Row>("SELECT * FROM dashboard_sessions WHERE pool_id = ?", r.pool_id);
    return ofPool.filter((o) => (r.admin_id !== null ? o.admin_id === r.admin_id : o.sso_email === r.sso_email));
  }

  listFor(idHash: string, now: number): SessionListing[] {
    const r = this.row(idHash);
    if (!r) return [];
    return this.samePerson(r)
      .filter((o) => o.last_seen_at >= now - IDLE_MS && o.created_at >= now - MAX_MS)
      .sort((a, b) => b.last_seen_at - a.last_seen_at)
      .map((o) => ({
        handle: handleOf(o.id_hash), via: o.via, userAgent: o.user_agent, createdAt: iso(o.created_at), lastSeenAt: iso(o.last_seen_at),
        current: o.id_hash === idHash,
      }));
  }

  /** Ends one of the same person's sessions by its handle; true if there was one. */
  endOther(idHash: string, handle: string): boolean {
    const r = this.row(idHash);
    const target = r && this.samePerson(r).find((o) => handleOf(o.id_hash) === handle);
    if (!target) return false;
    this.end(target.id_hash);
    return true;
  }

  endOfStaff(staffId: string): void {
    this.sql.exec("DELETE FROM dashboard_sessions WHERE staff_id = ?", staffId);
  }

  endOfAdmin(poolId: string, adminId: string): void {
    this.sql.exec("DELETE FROM dashboard_sessions WHERE pool_id = ? AND admin_id = ?", poolId, adminId);
  }

  /** The admin replaced their key from this session: it carries on under the new one. */
  rekey(idHash: string, adminKeyHash: string): void {
    this.sql.exec("UPDATE dashboard_sessions SET admin_key_hash = ? WHERE id_hash = ?", adminKeyHash, idHash);
  }
}
