/**
 * The client's housekeeping records, kept between launches:
 *
 * - pending releases: sessions whose release could not reach the service (closed
 *   offline); the next checkout releases them first, so the seat comes back.
 * - held sessions: sessions this process holds, with its process id; if the process
 *   dies without releasing (crash, power cut, kill -9), a later launch on the same
 *   machine finds the record of a process that no longer runs and releases it.
 *
 * The Node implementation keeps them as files in the user's config directory
 * (node/file-journal.ts); browsers use Web Storage or memory.
 */

export interface PendingRelease {
  url: string;
  sessionId: string;
  token: string;
  /** When the release was attempted and failed. */
  recordedAt: string;
  /** Why it is pending: the service was unreachable, or the process holding it died. */
  cause: "offline" | "crashed";
}

export interface HeldSession {
  url: string;
  sessionId: string;
  token: string;
  /** The process holding the session, and the host it runs on. */
  pid: number;
  host: string;
  startedAt: string;
}

export interface SessionJournal {
  addPendingRelease(entry: PendingRelease): Promise<void>;
  pendingReleases(): Promise<PendingRelease[]>;
  removePendingRelease(sessionId: string): Promise<void>;
  recordHeld(entry: HeldSession): Promise<void>;
  removeHeld(sessionId: string): Promise<void>;
  /** Held sessions whose process on this host is gone: they will never be released by it. */
  orphanedHeld(): Promise<HeldSession[]>;
}

/** Keeps everything in memory: for tests, and where nothing can be stored. */
export class MemoryJournal implements SessionJournal {
  private readonly pending = new Map<string, PendingRelease>();
  async addPendingRelease(entry: PendingRelease): Promise<void> {
    this.pending.set(entry.sessionId, entry);
  }
  async pendingReleases(): Promise<PendingRelease[]> {
    return [...this.pending.values()];
  }
  async removePendingRelease(sessionId: string): Promise<void> {
    this.pending.delete(sessionId);
  }
  async recordHeld(): Promise<void> {}
  async removeHeld(): Promise<void> {}
  async orphanedHeld(): Promise<HeldSession[]> {
    return [];
  }
}

/** The part of Web Storage (localStorage) the journal needs. */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/**
 * Pending releases in Web Storage, so a web application closed while offline releases
 * its seat on the next visit. A page cannot outlive its tab, so held sessions are not kept.
 */
export class StorageJournal extends MemoryJournal {
  constructor(private readonly storage: KeyValueStorage, private readonly key = "seatkeeper.pendingReleases") {
    super();
  }
  private read(): PendingRelease[] {
    try {
      const parsed: unknown = JSON.parse(this.storage.getItem(this.key) ?? "[]");
      return Array.isArray(parsed) ? (parsed as PendingRelease[]) : [];
    } catch {
      return [];
    }
  }
  private write(entries: PendingRelease[]): void {
    if (entries.length === 0) this.storage.removeItem(this.key);
    else this.storage.setItem(this.key, JSON.stringify(entries));
  }
  override async addPendingRelease(entry: PendingRelease): Promise<void> {
    this.write([...this.read().filter((e) => e.sessionId !== entry.sessionId), entry]);
  }
  override async pendingReleases(): Promise<PendingRelease[]> {
    return this.read();
  }
  override async removePendingRelease(sessionId: string): Promise<void> {
    this.write(this.read().filter((e) => e.sessionId !== sessionId));
  }
}
