import { DurableObject } from "cloudflare:workers";

/**
 * Does nothing, so a round trip to it measures the runtime, not the service: the bench's
 * ceiling. `write` is the second reference: the same round trip plus one committed row,
 * the least any request that changes state must pay for its durability.
 */
export class Ceiling extends DurableObject<object> {
  private ready = false;

  noop(): number {
    return 1;
  }

  write(): number {
    const sql = this.ctx.storage.sql;
    if (!this.ready) {
      sql.exec("CREATE TABLE IF NOT EXISTS writes (id INTEGER PRIMARY KEY, at INTEGER NOT NULL)");
      this.ready = true;
    }
    sql.exec("INSERT INTO writes (at) VALUES (?)", Date.now());
    return 1;
  }
}
