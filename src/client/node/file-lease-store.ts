/** A borrowed seat's lease as a file beside the journal: `<config dir>/leases/<hash of the service address>.json`, mode 0600. */
import { createHash } from "node:crypto";
import path from "node:path";
import type { LeaseStore, StoredLease } from "../lease.js";
import { readIfExists, removeIfExists, writePrivateFileAtomic } from "./atomic-file.js";

export class FileLeaseStore implements LeaseStore {
  constructor(readonly dir: string) {}

  private file(url: string): string {
    return path.join(this.dir, "leases", `${createHash("sha256").update(url).digest("hex").slice(0, 16)}.json`);
  }

  async load(url: string): Promise<StoredLease | undefined> {
    const text = await readIfExists(this.file(url)).catch(() => undefined);
    if (text === undefined) return undefined;
    try {
      const stored = JSON.parse(text) as Partial<StoredLease>;
      const complete = typeof stored.lease === "string" && typeof stored.token === "string" && typeof stored.sessionId === "string"
        && typeof stored.until === "string" && typeof stored.latestSeenAt === "number" && typeof stored.seatId === "string";
      return complete && stored.url === url ? (stored as StoredLease) : undefined;
    } catch {
      return undefined;
    }
  }

  async save(lease: StoredLease): Promise<void> {
    await writePrivateFileAtomic(this.file(lease.url), JSON.stringify(lease, null, 2) + "\n");
  }

  async remove(url: string): Promise<void> {
    await removeIfExists(this.file(url));
  }
}
