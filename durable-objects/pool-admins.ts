/**
 * A pool's admins: each a name and a key of their own, stored as its SHA-256 (migration 7).
 * Authenticating an admin is one look-up by that hash. The key made with the pool is the
 * first admin; the last admin cannot be removed, so a pool is never left unmanaged.
 */
import type { PoolAdmin } from "../src/contract/schemas.js";
import { iso } from "./contract-shapes.js";

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
  constructor(private readonly sql: SqlStorage) {}

  private one(query: string, ...params: unknown[]): AdminRow | undefined {
    return this.sql.exec<AdminRow & Record<string, SqlStorageValue>>(query, ...params).toArray()[0];
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
    return this.sql.exec<AdminRow & Record<string, SqlStorageValue>>("SELECT * FROM admins ORDER BY seq").toArray();
  }

  count(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM admins").one().n;
  }

  add(a: NewAdmin, now: number): AdminRow {
    const seq = this.sql.exec<{ seq: number }>("SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM admins").one().seq;
    const row: AdminRow = { admin_id: a.adminId, seq, name: a.name, email: a.email, key_hash: a.keyHash, created_at: now };
    this.sql.exec(
      "INSERT INTO admins (admin_id, seq, name, email, key_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)",
      row.admin_id, row.seq, row.name, row.email, row.key_hash, row.created_at,
    );
    return row;
  }

  remove(adminId: string): void {
    this.sql.exec("DELETE FROM admins WHERE admin_id = ?", adminId);
  }

  writeKeyHash(adminId: string, keyHash: string): void {
    this.sql.exec("UPDATE admins SET key_hash = ? WHERE admin_id = ?", keyHash, adminId);
  }
}
