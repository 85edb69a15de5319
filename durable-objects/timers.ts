/**
 * One alarm, many timers. An object has a single alarm, so every timed job (stale-seat
 * expiry today; queue lapses, reclaim deadlines, webhook retries tomorrow) is a row of
 * `timers` (kind, key, due time), the alarm is kept at the earliest row, and `runDue`
 * dispatches each due row to the handler of its kind.
 *
 * Setting the alarm is a row written and an await, so it happens after the transaction
 * and only when the earliest time changed. Running the due timers twice changes nothing:
 * a row is deleted before its handler runs, and a handler that wants another turn sets
 * its timer again.
 */
import type { PoolStore } from "./pool-store.js";

export const timerKinds = ["stale", "borrow", "ticket_lapse", "ticket_pickup", "retention", "webhook", "reclaim", "queue_waiting", "vendor_webhook", "pool_expiring"] as const;
export type TimerKind = (typeof timerKinds)[number];

function isTimerKind(kind: string): kind is TimerKind {
  return (timerKinds as readonly string[]).includes(kind);
}

/** What a due timer does; it runs inside the caller's transaction and may set timers again. */
export type TimerHandlers = Record<TimerKind, (key: string, now: number) => void>;

/** How many timers one alarm runs; more due ones leave the alarm in the past, so it fires again at once. */
const BATCH = 500;

/** The part of the object's storage the timers need: its one alarm. */
export type AlarmStorage = Pick<DurableObjectStorage, "getAlarm" | "setAlarm" | "deleteAlarm">;

export class Timers {
  /** The alarm as last set; undefined until read from storage. */
  private alarmAt: number | null | undefined;
  /** A timer was set, moved or removed since the alarm was last kept in step. */
  private changed = false;

  constructor(
    private readonly store: PoolStore,
    private readonly storage: AlarmStorage,
  ) {}

  /** Reads the alarm once, when the object starts. */
  async load(): Promise<void> {
    this.alarmAt = await this.storage.getAlarm();
    // a timer a migration added (or an alarm lost to an eviction) is put back in step by the next syncAlarm
    if (this.store.earliestTimer() !== this.alarmAt) this.changed = true;
  }

  has(kind: TimerKind, key = ""): boolean {
    return this.store.timer(kind, key) !== undefined;
  }

  /** The keys of the timers of `kind` that are set. */
  keys(kind: TimerKind): string[] {
    return this.store.timerKeys(kind);
  }

  /** Sets (or moves) a timer; writes nothing when it is already due then. */
  set(kind: TimerKind, dueAt: number, key = ""): void {
    if (this.store.timer(kind, key)?.due_at === dueAt) return;
    this.store.setTimer({ kind, key, due_at: dueAt });
    this.changed = true;
  }

  clear(kind: TimerKind, key = ""): void {
    this.store.deleteTimer(kind, key);
    this.changed = true;
  }

  /** Runs every timer due by `now` through its kind's handler; call inside a transaction. Returns how many ran. */
  runDue(now: number, handlers: TimerHandlers): number {
    const due = this.store.dueTimers(now, BATCH);
    if (due.length > 0) this.changed = true;
    for (const t of due) {
      this.store.deleteTimer(t.kind, t.key);
      // a kind this version does not know (written by a newer one, then rolled back) is dropped rather than fired forever
      if (isTimerKind(t.kind)) handlers[t.kind](t.key, now);
    }
    return due.length;
  }

  /** Keeps the alarm at the earliest timer; after a transaction, and only when that time changed. */
  async syncAlarm(): Promise<void> {
    if (!this.changed) return;
    this.changed = false;
    const at = this.store.earliestTimer();
    if (at === this.alarmAt) return;
    this.alarmAt = at;
    this.store.meter.alarmWrites++;
    if (at === null) await this.storage.deleteAlarm();
    else await this.storage.setAlarm(at);
  }

  /** The alarm has fired: the runtime cleared it. */
  alarmFired(): void {
    this.alarmAt = null;
    this.changed = true;
  }
}
