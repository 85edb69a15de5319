/**
 * The vendor's list of pools: one object, written when a pool is created or its
 * customer or seats change, read by `GET /v1/pools`. Never on the checkout path,
 * so it cannot become a global bottleneck.
 */
import { DurableObject } from "cloudflare:workers";
import type { LocationHint, Region } from "../src/contract/schemas.js";
import { directoryMigrations, runMigrations } from "./migrations.js";

export interface DirectoryEntry {
  poolId: string;
  customer: string;
  seats: number;
  createdAt: string;
  region: Region;
  locationHint: LocationHint | null;
}

export class PoolDirectory extends DurableObject<object> {
  constructor(ctx: DurableObjectState, env: object) {
    super(ctx, env);
    runMigrations(ctx.storage, directoryMigrations);
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
}
