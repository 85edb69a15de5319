/**
 * The vendor's directory object: the list of pools (written when a pool is created or its
 * customer or seats change, read by `GET /v1/pools`), the vendor's staff, the vendor-wide
 * webhook subscriptions (never their deliveries: each pool sends its own), and the
 * dashboard's sessions. Never on the checkout path, so it cannot become a global bottleneck.
 */
import { DurableObject } from "cloudflare:workers";
import { messages } from "../src/contract/messages.js";
import type { StaffMember, StaffRole, Webhook } from "../src/contract/schemas.js";
import { iso } from "./contract-shapes.js";
import type { LocationHint, Region } from "../src/contract/schemas.js";
import { directoryMigrations, runMigrations } from "./migrations.js";
import { failure, type Outcome } from "./outcome.js";
import { DashboardSessions, type NewDashboardSession, type OpenedSession, type SessionListing, type StoredDashboardSession } from "./dashboard-sessions.js";
import type { NewWebhook } from "./webhooks.js";

export interface DirectoryEntry {
  poolId: string;
  customer: string;
  seats: number;
  createdAt: string;
  region: Region;
  locationHint: LocationHint | null;
}

interface VendorWebhookRow {
  webhook_id: string;
  url: string;
  events: string;
  secret: string;
  created_at: number;
}

interface StaffRow {
  staff_id: string;
  email: string;
  email_key: string;
  name: string;
  role: StaffRole;
  token_hash: string;
  disabled: number;
  created_at: number;
}

/** E-mail addresses compare as mail systems treat them in practice: trimmed, any letter case. */
export const emailKey = (email: string) => email.trim().toLowerCase();

function staffView(r: StaffRow): StaffMember {
  return { staffId: r.staff_id, email: r.email, name: r.name, role: r.role, disabled: r.disabled === 1, createdAt: iso(r.created_at) };
}

export class PoolDirectory extends DurableObject<object> {
  private readonly sessions: DashboardSessions;

  constructor(ctx: DurableObjectState, env: object) {
    super(ctx, env);
    runMigrations(ctx.storage, directoryMigrations);
    this.sessions = new DashboardSessions(ctx.storage.sql);
  }

  add(entry: { poolId: string; customer: string; seats: number; region: Region; locationHint: LocationHint | null }): void {
    this.ctx.storage.sql.exec(
      "INSERT OR REPLACE INTO pools (pool_id, customer, seats, created_at, region, location_hint) VALUES (?, ?, ?, ?, ?, ?)",
      entry.poolId, entry.customer, entry.seats, Date.now(), entry.region, entry.locationHint,
    );
  }

  /** A deleted pool leaves the vendor's list. */
  remove(poolId: string): void {
    this.ctx.storage.sql.exec("DELETE FROM pools WHERE pool_id = ?", poolId);
  }

  update(poolId: string, customer: string, seats: number): void {
    this.ctx.storage.sql.exec("UPDATE pools SET customer = ?, seats = ? WHERE pool_id = ?", customer, seats, poolId);
  }

  /** Pools in id order, a page at a time. */
  list(limit: number, after: string | undefined): { pools: DirectoryEntry[]; next: string | null } {
    const rows = this.ctx.storage.sql
      .exec<{ pool_id: string; customer: string; seats: number; created_at: number; region: Region; location_hint: LocationHint | null }>(
        "SELECT * FROM pools WHERE pool_id > ? ORDER BY pool_id LIMIT ?",
        after ?? "", limit,
      )
      .toArray();
    const pools = rows.map((r) => ({
      poolId: r.pool_id, customer: r.customer, seats: r.seats, createdAt: new Date(r.created_at).toISOString(), region: r.region, locationHint: r.location_hint,
    }));
    return { pools, next: rows.length === limit ? rows[rows.length - 1]!.pool_id : null };
  }

  // ---- vendor-wide webhooks ----------------------------------------------------

  private vendorWebhookRows(): VendorWebhookRow[] {
    return this.ctx.storage.sql
      .exec<VendorWebhookRow & Record<string, SqlStorageValue>>("SELECT * FROM vendor_webhooks ORDER BY created_at, webhook_id")
      .toArray();
  }

  addVendorWebhook(w: NewWebhook): Webhook {
    const now = Date.now();
    this.ctx.storage.sql.exec(
      "INSERT INTO vendor_webhooks (webhook_id, url, events, secret, created_at) VALUES (?, ?, ?, ?, ?)",
      w.webhookId, w.url, JSON.stringify(w.events), w.secret, now,
    );
    return { webhookId: w.webhookId, url: w.url, events: w.events, createdAt: iso(now) };
  }

  /** The subscriptions as answers show them: without their secrets. */
  listVendorWebhooks(): Webhook[] {
    return this.vendorWebhookRows().map((r) => ({ webhookId: r.webhook_id, url: r.url, events: JSON.parse(r.events) as string[], createdAt: iso(r.created_at) }));
  }

  hasVendorWebhook(webhookId: string): boolean {
    return this.ctx.storage.sql.exec("SELECT 1 FROM vendor_webhooks WHERE webhook_id = ?", webhookId).toArray().length > 0;
  }

  /** Pools find out at their next send: a removed subscription's pending deliveries are dropped there. */
  removeVendorWebhook(webhookId: string): boolean {
    return this.ctx.storage.sql.exec("DELETE FROM vendor_webhooks WHERE webhook_id = ? RETURNING 1", webhookId).toArray().length > 0;
  }

  /** For a pool's alarm alone (over RPC between objects, never to a client): each subscription with its secret, to sign with. */
  vendorWebhookTargets(): NewWebhook[] {
    return this.vendorWebhookRows().map((r) => ({ webhookId: r.webhook_id, url: r.url, events: JSON.parse(r.events) as NewWebhook["events"], secret: r.secret }));
  }

  // ---- staff -----------------------------------------------------------------

  private staffRow(query: string, ...params: unknown[]): StaffRow | undefined {
    return this.ctx.storage.sql.exec<StaffRow & Record<string, SqlStorageValue>>(query, ...params).toArray()[0];
  }

  addStaff(s: { staffId: string; email: string; name: string; role: StaffRole; tokenHash: string }): Outcome<{ staff: StaffMember }> {
    const key = emailKey(s.email);
    if (this.staffRow("SELECT * FROM staff WHERE email_key = ?", key)) return failure("conflict", messages.staffExists(s.email.trim()));
    const row: StaffRow = { staff_id: s.staffId, email: s.email.trim(), email_key: key, name: s.name, role: s.role, token_hash: s.tokenHash, disabled: 0, created_at: Date.now() };
    this.ctx.storage.sql.exec(
      "INSERT INTO staff (staff_id, email, email_key, name, role, token_hash, disabled, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      row.staff_id, row.email, row.email_key, row.name, row.role, row.token_hash, row.disabled, row.created_at,
    );
    return { ok: true, staff: staffView(row) };
  }

  listStaff(): StaffMember[] {
    return this.ctx.storage.sql
      .exec<StaffRow & Record<string, SqlStorageValue>>("SELECT * FROM staff ORDER BY email_key")
      .toArray()
      .map(staffView);
  }

  /** The person a token belongs to (disabled or not: the caller says why it refuses), by the token's hash. */
  staffByTokenHash(tokenHash: string): StaffMember | null {
    const r = this.staffRow("SELECT * FROM staff WHERE token_hash = ?", tokenHash);
    return r ? staffView(r) : null;
  }

  staffByEmail(email: string): StaffMember | null {
    const r = this.staffRow("SELECT * FROM staff WHERE email_key = ?", emailKey(email));
    return r ? staffView(r) : null;
  }

  staffById(staffId: string): StaffMember | null {
    const r = this.staffRow("SELECT * FROM staff WHERE staff_id = ?", staffId);
    return r ? staffView(r) : null;
  }

  /** Changes a person's role, name or state; disabling them ends their dashboard sessions in the same write. */
  updateStaff(staffId: string, patch: { role?: StaffRole; disabled?: boolean; name?: string }): Outcome<{ staff: StaffMember }> {
    return this.ctx.storage.transactionSync((): Outcome<{ staff: StaffMember }> => {
      const r = this.staffRow("SELECT * FROM staff WHERE staff_id = ?", staffId);
      if (!r) return failure("not_found", messages.noSuchStaff);
      const next: StaffRow = {
        ...r,
        role: patch.role ?? r.role,
        name: patch.name ?? r.name,
        disabled: patch.disabled === undefined ? r.disabled : patch.disabled ? 1 : 0,
      };
      this.ctx.storage.sql.exec("UPDATE staff SET role = ?, name = ?, disabled = ? WHERE staff_id = ?", next.role, next.name, next.disabled, staffId);
      if (next.disabled === 1) this.sessions.endOfStaff(staffId);
      return { ok: true, staff: staffView(next) };
    });
  }

  removeStaff(staffId: string): Outcome<{ removed: true }> {
    return this.ctx.storage.transactionSync((): Outcome<{ removed: true }> => {
      if (!this.staffRow("SELECT * FROM staff WHERE staff_id = ?", staffId)) return failure("not_found", messages.noSuchStaff);
      this.ctx.storage.sql.exec("DELETE FROM staff WHERE staff_id = ?", staffId);
      this.sessions.endOfStaff(staffId);
      return { ok: true, removed: true };
    });
  }

  /** A new token for a person: the old one stops working at once. */
  replaceStaffToken(staffId: string, tokenHash: string): Outcome<{ staff: StaffMember }> {
    const r = this.staffRow("SELECT * FROM staff WHERE staff_id = ?", staffId);
    if (!r) return failure("not_found", messages.noSuchStaff);
    this.ctx.storage.sql.exec("UPDATE staff SET token_hash = ? WHERE staff_id = ?", tokenHash, staffId);
    return { ok: true, staff: staffView(r) };
  }

  // ---- dashboard sessions ----------------------------------------------------------

  startDashboardSession(s: NewDashboardSession): StoredDashboardSession {
    return this.sessions.start(s, Date.now());
  }

  openDashboardSession(idHash: string): OpenedSession {
    return this.sessions.open(idHash, Date.now(), (id) => this.staffById(id));
  }

  endDashboardSession(idHash: string): void {
    this.sessions.end(idHash);
  }

  listDashboardSessions(idHash: string): SessionListing[] {
    return this.sessions.listFor(idHash, Date.now());
  }

  endOtherDashboardSession(idHash: string, handle: string): boolean {
    return this.sessions.endOther(idHash, handle);
  }

  /** A removed admin is signed out of the dashboard at once. */
  endDashboardSessionsOfAdmin(poolId: string, adminId: string): void {
    this.sessions.endOfAdmin(poolId, adminId);
  }

  rekeyDashboardSession(idHash: string, adminKeyHash: string): void {
    this.sessions.rekey(idHash, adminKeyHash);
  }

  // ---- OpenID Connect sign-ins under way -----------------------------------------

  /** Remembers a sign-in sent to the identity provider; those older than ten minutes are dropped. */
  beginOidc(stateHash: string, nonce: string, verifier: string, poolId: string | null): void {
    const now = Date.now();
    this.ctx.storage.sql.exec("DELETE FROM oidc_pending WHERE created_at < ?", now - 10 * 60_000);
    this.ctx.storage.sql.exec("INSERT INTO oidc_pending (state_hash, nonce, verifier, pool_id, created_at) VALUES (?, ?, ?, ?, ?)", stateHash, nonce, verifier, poolId, now);
  }

  /** Takes a sign-in back, once: a second callback with the same state finds nothing. */
  takeOidc(stateHash: string): { nonce: string; verifier: string; poolId: string | null } | null {
    const row = this.ctx.storage.sql
      .exec<{ nonce: string; verifier: string; pool_id: string | null; created_at: number }>("SELECT nonce, verifier, pool_id, created_at FROM oidc_pending WHERE state_hash = ?", stateHash)
      .toArray()[0];
    if (!row) return null;
    this.ctx.storage.sql.exec("DELETE FROM oidc_pending WHERE state_hash = ?", stateHash);
    return row.created_at >= Date.now() - 10 * 60_000 ? { nonce: row.nonce, verifier: row.verifier, poolId: row.pool_id } : null;
  }
}
