/**
 * A pool's admins: each a name and a key of their own, stored as its SHA-256 (migration 7).
 * Authenticating an admin is one look-up by that hash. The key made with the pool is the
 * first admin; the last admin cannot be removed, so a pool is never left unmanaged.
 */
import type { PoolAdmin } from "../src/contract/schemas.js";
import { iso } from "./contract-shapes.js";
import type { MeteredSql, Row } from "./metered-sql.js";

export interface AdminRow {
  admin_id: string;
  seq: number;
  name: string;
  email: string | null;
  key_hash: string;
  created_at: number;
}

export interface NewAdmin {
  adminId: string;
  name: string;
  email: string | null;
  keyHash: string;
}

export function adminView(a: AdminRow): PoolAdmin {
  return { adminId: a.admin_id, name: a.name, email: a.email, createdAt: iso(a.created_at) };
}

export class PoolAdmins {
  constructor(private readonly db: MeteredSql) {}

  private one(query: string, ...params: unknown[]): AdminRow | undefined {
    return this.db.first<AdminRow & Row>(query, ...params);
  }

  byKeyHash(keyHash: string): AdminRow | undefined {
    return this.one("SELECT * FROM admins WHERE key_hash = ?", keyHash);
  }

  byId(adminId: string): AdminRow | undefined {
    return this.one("SELECT * FROM admins WHERE admin_id = ?", adminId);
  }

  /** The longest-standing admin: whose key the vendor's credential replaces. */
  first(): AdminRow | undefined {
    return this.one("SELECT * FROM admins ORDER BY seq LIMIT 1");
  }

  list(): AdminRow[] {
    return this.db.all<AdminRow & Row>("SELECT * FROM admins ORDER BY seq");
  }

  count(): number {
    return this.db.first<{ n: number }>("SELECT COUNT(*) AS n FROM admins")!.n;
  }

  add(a: NewAdmin, now: number): AdminRow {
    const seq = this.db.first<{ seq: number }>("SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM admins")!.seq;
    const row: AdminRow = { admin_id: a.adminId, seq, name: a.name, email: a.email, key_hash: a.keyHash, created_at: now };
    this.db.run(
      "INSERT INTO admins (admin_id, seq, name, email, key_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)",
      row.admin_id, row.seq, row.name, row.email, row.key_hash, row.created_at,
    );
    return row;
  }

  remove(adminId: string): void {
    this.db.run("DELETE FROM admins WHERE admin_id = ?", adminId);
  }

  writeKeyHash(adminId: string, keyHash: string): void {
    this.db.run("UPDATE admins SET key_hash = ? WHERE admin_id = ?", keyHash, adminId);
  }
}
