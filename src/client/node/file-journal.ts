/**
 * The session journal as files in the user's config directory, one file per session:
 *
 *   <config dir>/pending-releases/<session id>.json   closed while offline
 *   <config dir>/held/<session id>.json               held by a running process
 *
 * One file per entry rather than one shared file, so two launches of the application
 * (or the application and the CLI) never lose each other's entries to a read-modify-write
 * race: each entry is written atomically on its own and removed on its own. Files are
 * mode 0600 in a 0700 directory: the token in them releases the seat.
 */
import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { HeldSession, PendingRelease, SessionJournal } from "../journal.js";
import { readIfExists, removeIfExists, writePrivateFileAtomic } from "./atomic-file.js";

/** A file name for a session id, safe whatever characters the id holds. */
function entryFile(dir: string, sessionId: string): string {
  const safe = /^[A-Za-z0-9_-]{1,100}$/.test(sessionId) ? sessionId : createHash("sha256").update(sessionId).digest("hex");
  return path.join(dir, `${safe}.json`);
}

async function readEntries<T>(dir: string, valid: (v: unknown) => v is T): Promise<T[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  const out: T[] = [];
  for (const name of names.filter((n) => n.endsWith(".json"))) {
    const text = await readIfExists(path.join(dir, name)).catch(() => undefined);
    if (text === undefined) continue;
    try {
      const value: unknown = JSON.parse(text);
      if (valid(value)) out.push(value);
    } catch {
      // a damaged entry cannot be acted on; leave it for a person to look at
    }
  }
  return out;
}

const isString = (v: unknown): v is string => typeof v === "string" && v.length > 0;

function isPending(v: unknown): v is PendingRelease {
  const e = v as PendingRelease;
  return typeof v === "object" && v !== null && isString(e.url) && isString(e.sessionId) && isString(e.token);
}

function isHeld(v: unknown): v is HeldSession {
  const e = v as HeldSession;
  return typeof v === "object" && v !== null && isString(e.url) && isString(e.sessionId) && isString(e.token) && Number.isInteger(e.pid) && isString(e.host);
}

/** Whether a process with this id runs on this machine (EPERM: it runs, as another user). */
export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export class FileJournal implements SessionJournal {
  readonly pendingDir: string;
  readonly heldDir: string;

  constructor(
    readonly dir: string,
    private readonly host: string = os.hostname(),
    private readonly isAlive: (pid: number) => boolean = processIsAlive,
  ) {
    this.pendingDir = path.join(dir, "pending-releases");
    this.heldDir = path.join(dir, "held");
  }

  async addPendingRelease(entry: PendingRelease): Promise<void> {
    await writePrivateFileAtomic(entryFile(this.pendingDir, entry.sessionId), JSON.stringify(entry, null, 2) + "\n");
  }

  pendingReleases(): Promise<PendingRelease[]> {
    return readEntries(this.pendingDir, isPending);
  }

  async removePendingRelease(sessionId: string): Promise<void> {
    await removeIfExists(entryFile(this.pendingDir, sessionId));
  }

  async recordHeld(entry: HeldSession): Promise<void> {
    await writePrivateFileAtomic(entryFile(this.heldDir, entry.sessionId), JSON.stringify(entry, null, 2) + "\n");
  }

  async removeHeld(sessionId: string): Promise<void> {
    await removeIfExists(entryFile(this.heldDir, sessionId));
  }

  /** Held sessions of processes on this host that are gone (a shared home directory may hold other hosts'). */
  async orphanedHeld(): Promise<HeldSession[]> {
    const held = await readEntries(this.heldDir, isHeld);
    return held.filter((h) => h.host === this.host && h.pid !== process.pid && !this.isAlive(h.pid));
  }
}
