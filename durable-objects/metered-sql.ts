/**
 * The pool object's one way to its SQLite: every statement of every room goes through
 * here, run to the end with its rows counted. Rows written are what a pool costs to run
 * (Cloudflare bills each, index entries included), so the meter must see them all: the
 * bench reads it, and the write budget is a figure like latency.
 */

/** What this object's statements read and wrote since it started: a billing meter. */
export interface StoreMeter {
  rowsWritten: number;
  rowsRead: number;
  /** Alarms set or deleted: Cloudflare bills each as a row written. */
  alarmWrites: number;
}

export type Row = Record<string, SqlStorageValue>;

export class MeteredSql {
  readonly meter: StoreMeter = { rowsWritten: 0, rowsRead: 0, alarmWrites: 0 };

  constructor(private readonly sql: SqlStorage) {}

  /** Every row the statement answers; its rows read and written counted. */
  all<T extends Row>(query: string, ...params: unknown[]): T[] {
    const cursor = this.sql.exec<T>(query, ...params);
    const rows = cursor.toArray();
    this.meter.rowsWritten += cursor.rowsWritten;
    this.meter.rowsRead += cursor.rowsRead;
    return rows;
  }

  run(query: string, ...params: unknown[]): void {
    this.all(query, ...params);
  }

  first<T extends Row>(query: string, ...params: unknown[]): T | undefined {
    return this.all<T>(query, ...params)[0];
  }
}
