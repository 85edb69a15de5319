/**
 * Webhooks of one pool: its subscriptions, the transactional outbox and the once-only
 * alert rules. `emit` runs inside the transaction of the event that causes it and only
 * writes a delivery row and a `webhook` timer; the alarm sends due deliveries after its
 * transaction (`sendDue`), so nothing is ever sent inside the critical section, and a
 * crash between the event and its delivery leaves the row and its timer to try again.
 *
 * Vendor-wide subscriptions live in the directory, not here, and an EU pool's payloads must
 * not leave the pool: so `emit` also writes one `vendor_outbox` row for "the vendor's
 * subscriptions", and the alarm, after asking the directory for them, turns it into one
 * ordinary delivery per subscription (marked `vendor`) in a transaction of its own.
 */
import type { Delivery, Webhook, WebhookEventType } from "../src/contract/schemas.js";
import { DAY, HOUR, MINUTE, SECOND } from "../src/contract/time.js";
import { iso } from "./contract-shapes.js";
import type { PoolRow } from "./pool-store.js";
import type { Timers } from "./timers.js";
import type { SeatListener } from "./seat-ledger.js";
import type { MeteredSql, Row } from "./metered-sql.js";

/** The waits after a failed attempt; one more failure after the last is given up. */
export const RETRY_DELAYS = [30 * SECOND, 2 * MINUTE, 10 * MINUTE, HOUR, 6 * HOUR] as const;
export const MAX_ATTEMPTS = RETRY_DELAYS.length + 1;
/** A receiver that has not answered 2xx by then has failed this attempt. */
export const DELIVERY_TIMEOUT_MS = 10 * SECOND;
/** The delivery log keeps this many per webhook (pending ones are never dropped). */
export const DELIVERY_LOG = 100;
/** `pool.usage_high` is sent again only after use fell this many points below the threshold. */
export const USAGE_HYSTERESIS_POINTS = 10;
/** `pool.expiring` is sent this many days before `validUntil`, once each. */
export const EXPIRY_WARNING_DAYS = [14, 3] as const;
/** A warning whose moment passed longer ago than this is not sent at all. */
export const EXPIRY_WARNING_LATENESS = DAY;

interface WebhookRow {
  webhook_id: string;
  url: string;
  events: string;
  secret: string;
  created_at: number;
}
interface DeliveryRow {
  id: string;
  webhook_id: string;
  type: string;
  at: number;
  payload: string;
  attempts: number;
  status: "pending" | "delivered" | "failed";
  last_error: string | null;
  /** 1 when it is for a vendor-wide subscription (in the directory), 0 for one of this pool's. */
  vendor: number;
}
interface OutboxRow {
  id: string;
  type: WebhookEventType;
  at: number;
  payload: string;
}
/** Where a delivery goes and what signs it. */
type Target = Pick<NewWebhook, "url" | "secret">;

/** A subscription as it crosses RPC at creation: with its secret, which no other answer carries. */
export interface NewWebhook {
  webhookId: string;
  url: string;
  events: WebhookEventType[];
  secret: string;
}

const ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
function deliveryId(): string {
  let out = "msg_";
  for (const b of crypto.getRandomValues(new Uint8Array(22))) out += ID_ALPHABET[b & 31];
  return out;
}

const webhookView = (r: WebhookRow): Webhook => ({
  webhookId: r.webhook_id, url: r.url, events: JSON.parse(r.events) as string[], createdAt: iso(r.created_at),
});
const deliveryView = (r: DeliveryRow): Delivery => ({
  id: r.id, type: r.type, at: iso(r.at), attempts: r.attempts, status: r.status, lastError: r.last_error,
});

/** The Standard Webhooks signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body"> keyed with the secret's bytes. */
export async function signDelivery(secret: string, id: string, timestamp: number, body: string): Promise<string> {
  const raw = Uint8Array.from(atob(secret.replace(/^whsec_/, "")), (c) => c.charCodeAt(0));
  const key = await crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${id}.${timestamp}.${body}`)));
  return `v1,${btoa(String.fromCharCode(...mac))}`;
}

export class Webhooks implements SeatListener {
  /** Whether `pool.usage_high` was sent and use has not yet fallen back; kept in memory, read on load. */
  private usageHigh = false;
  /** The hour (ms) of the last `pool.denied`. */
  private deniedHour: number | null = null;
  /** Deliveries whose timers fired in this alarm's transaction, to send after it. */
  private due: string[] = [];
  /** Vendor outbox rows whose timers fired in this alarm's transaction, to expand after it. */
  private vendorDue: string[] = [];
  /** Some subscription exists: with none, the hot path reads nothing. */
  private any = false;

  constructor(
    private readonly db: MeteredSql,
    private readonly timers: Timers,
  ) {}

  load(): void {
    const s = this.db.first<{ usage_high: number; denied_hour: number | null }>("SELECT usage_high, denied_hour FROM alert_state WHERE id = 1");
    this.usageHigh = s?.usage_high === 1;
    this.deniedHour = s?.denied_hour ?? null;
    this.any = this.db.all("SELECT 1 FROM webhooks LIMIT 1").length > 0;
  }

  // ---- subscriptions -------------------------------------------------------

  add(w: NewWebhook, now: number): Webhook {
    this.db.run(
      "INSERT INTO webhooks (webhook_id, url, events, secret, created_at) VALUES (?, ?, ?, ?, ?)",
      w.webhookId, w.url, JSON.stringify(w.events), w.secret, now,
    );
    this.any = true;
    return { webhookId: w.webhookId, url: w.url, events: w.events, createdAt: iso(now) };
  }

  list(): Webhook[] {
    return this.db.all<WebhookRow & Row>("SELECT * FROM webhooks ORDER BY created_at, webhook_id").map(webhookView);
  }

  /** Removes a subscription and its log; its pending deliveries' timers find no row and do nothing. */
  remove(webhookId: string): boolean {
    const gone = this.db.all("DELETE FROM webhooks WHERE webhook_id = ? RETURNING 1", webhookId).length > 0;
    if (gone) this.db.run("DELETE FROM deliveries WHERE webhook_id = ?", webhookId);
    this.any = this.db.all("SELECT 1 FROM webhooks LIMIT 1").length > 0;
    return gone;
  }

  /** The latest deliveries of a subscription, newest first; undefined for an unknown one. */
  deliveries(webhookId: string): Delivery[] | undefined {
    if (this.db.all("SELECT 1 FROM webhooks WHERE webhook_id = ?", webhookId).length === 0) return undefined;
    return this.deliveryLog(webhookId, 0);
  }

  /** This pool's deliveries to a vendor-wide subscription (the caller checked the directory knows it), newest first. */
  vendorDeliveries(webhookId: string): Delivery[] {
    return this.deliveryLog(webhookId, 1);
  }

  private deliveryLog(webhookId: string, vendor: 0 | 1): Delivery[] {
    return this.db.all<DeliveryRow & Row>(
      "SELECT * FROM deliveries WHERE webhook_id = ? AND vendor = ? ORDER BY at DESC, id DESC LIMIT ?", webhookId, vendor, DELIVERY_LOG,
    ).map(deliveryView);
  }

  /** Drops finished deliveries older than `before`: their payloads name people, and the pool's retention holds for them too. */
  prune(before: number): void {
    this.db.run("DELETE FROM deliveries WHERE status <> 'pending' AND at < ?", before);
  }

  // ---- the outbox ----------------------------------------------------------

  /**
   * One delivery row per subscription of the pool's to `type`, and one outbox row for the
   * vendor's, each with its timer due now; call inside the event's transaction.
   */
  emit(p: PoolRow, type: WebhookEventType, data: Record<string, unknown>, now: number): void {
    const payload = JSON.stringify({ type, timestamp: iso(now), data: { poolId: p.pool_id, ...data } });
    // the pool cannot know whether the vendor subscribes without asking the directory, which it may not do here
    const outboxId = deliveryId();
    this.db.run("INSERT INTO vendor_outbox (id, type, at, payload) VALUES (?, ?, ?, ?)", outboxId, type, now, payload);
    this.timers.set("vendor_webhook", now, outboxId);
    if (!this.any) return;
    for (const w of this.db.all<WebhookRow & Row>("SELECT * FROM webhooks")) {
      if (!(JSON.parse(w.events) as string[]).includes(type)) continue;
      const id = deliveryId();
      this.db.run("INSERT INTO deliveries (id, webhook_id, type, at, payload) VALUES (?, ?, ?, ?, ?)", id, w.webhook_id, type, now, payload);
      this.trimLog(w.webhook_id);
      this.timers.set("webhook", now, id);
    }
  }

  /** Keeps a subscription's log at its latest `DELIVERY_LOG`; pending ones are never dropped. */
  private trimLog(webhookId: string): void {
    this.db.run(
      `DELETE FROM deliveries WHERE webhook_id = ? AND status <> 'pending' AND id NOT IN
         (SELECT id FROM deliveries WHERE webhook_id = ? ORDER BY at DESC, id DESC LIMIT ?)`,
      webhookId, webhookId, DELIVERY_LOG,
    );
  }

  /**
   * The `webhook` timer's handler, inside the alarm's transaction: the timer is set again at
   * the next retry before anything is sent, so a crash during the send still retries.
   */
  timerFired(id: string, now: number): void {
    const d = this.delivery(id);
    if (!d || d.status !== "pending") return;
    this.timers.set("webhook", now + (RETRY_DELAYS[d.attempts] ?? 6 * HOUR), id);
    this.due.push(id);
  }

  /**
   * The `vendor_webhook` timer's handler, inside the alarm's transaction: as for a delivery,
   * the timer is set again before the directory is asked, so a crash or an unreachable
   * directory leaves the row to be expanded at the next try.
   */
  vendorTimerFired(id: string, now: number): void {
    if (!this.db.first("SELECT 1 FROM vendor_outbox WHERE id = ?", id)) return;
    this.timers.set("vendor_webhook", now + RETRY_DELAYS[0], id);
    this.vendorDue.push(id);
  }

  /**
   * Sends what `timerFired` queued, then records each outcome in its own transaction via
   * `commit`. First, if any is for the vendor, asks the directory for the vendor's
   * subscriptions (`vendorTargets`, after the transaction) and expands the due outbox rows
   * into deliveries in one transaction; their first attempt is made here too.
   */
  async sendDue(commit: (fn: () => void) => void, clock: () => number, vendorTargets: () => Promise<NewWebhook[]>): Promise<void> {
    const ids = this.due;
    const outbox = this.vendorDue;
    this.due = [];
    this.vendorDue = [];
    let targets: NewWebhook[] | undefined;
    if (outbox.length > 0 || ids.some((id) => this.delivery(id)?.vendor === 1)) {
      try {
        targets = await vendorTargets();
      } catch (e) {
        // the timers already point at the next try
        console.error(`Vendor-wide webhooks: the directory did not answer (${e instanceof Error ? e.message : String(e)}); trying again later.`);
      }
    }
    if (targets && outbox.length > 0) {
      const t = targets;
      commit(() => {
        for (const id of outbox) ids.push(...this.expand(id, t, clock()));
      });
    }
    await Promise.all(ids.map(async (id) => {
      const d = this.delivery(id);
      if (!d || d.status !== "pending") return;
      const target: Target | undefined = d.vendor === 1
        ? targets?.find((t) => t.webhookId === d.webhook_id)
        : this.db.first<WebhookRow & Row>("SELECT * FROM webhooks WHERE webhook_id = ?", d.webhook_id);
      if (!target) {
        // the vendor removed the subscription since: its delivery goes as a pool subscription's does
        if (d.vendor === 1 && targets) commit(() => this.drop(id));
        return;
      }
      const error = await this.send(target, d);
      commit(() => this.record(id, error, clock()));
    }));
  }

  /** One outbox row into a delivery per vendor subscription to its type; answers the deliveries' ids. */
  private expand(id: string, targets: NewWebhook[], now: number): string[] {
    const row = this.db.first<OutboxRow & Row>("SELECT * FROM vendor_outbox WHERE id = ?", id);
    if (!row) return [];
    const ids: string[] = [];
    for (const t of targets) {
      if (!t.events.includes(row.type)) continue;
      const deliveryOf = deliveryId();
      this.db.run("INSERT INTO deliveries (id, webhook_id, type, at, payload, vendor) VALUES (?, ?, ?, ?, ?, 1)", deliveryOf, t.webhookId, row.type, row.at, row.payload);
      this.trimLog(t.webhookId);
      // its first attempt follows at once; the timer points at the retry already, as `timerFired` leaves it
      this.timers.set("webhook", now + RETRY_DELAYS[0], deliveryOf);
      ids.push(deliveryOf);
    }
    this.db.run("DELETE FROM vendor_outbox WHERE id = ?", id);
    this.timers.clear("vendor_webhook", id);
    return ids;
  }

  private drop(id: string): void {
    this.db.run("DELETE FROM deliveries WHERE id = ?", id);
    this.timers.clear("webhook", id);
  }

  private delivery(id: string): DeliveryRow | undefined {
    return this.db.first<DeliveryRow & Row>("SELECT * FROM deliveries WHERE id = ?", id);
  }

  /** One attempt: null on a 2xx, else what went wrong, in words for the delivery log. */
  private async send(w: Target, d: DeliveryRow): Promise<string | null> {
    const timestamp = Math.floor(Date.now() / 1000);
    try {
      const res = await fetch(w.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": "Seatkeeper-Webhooks/1.1",
          "webhook-id": d.id,
          "webhook-timestamp": String(timestamp),
          "webhook-signature": await signDelivery(w.secret, d.id, timestamp, d.payload),
        },
        body: d.payload,
        redirect: "manual",
        signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      });
      await res.body?.cancel();
      return res.status >= 200 && res.status < 300 ? null : `HTTP ${res.status}`;
    } catch (e) {
      const name = e instanceof Error ? e.name : "";
      return name === "TimeoutError" || name === "AbortError" ? `no answer within ${DELIVERY_TIMEOUT_MS / SECOND} s` : `could not connect: ${e instanceof Error ? e.message : String(e)}`.slice(0, 300);
    }
  }

  private record(id: string, error: string | null, now: number): void {
    const d = this.delivery(id);
    if (!d || d.status !== "pending") return;
    const attempts = d.attempts + 1;
    if (error === null) {
      this.db.run("UPDATE deliveries SET attempts = ?, status = 'delivered', last_error = NULL WHERE id = ?", attempts, id);
      this.timers.clear("webhook", id);
    } else if (attempts >= MAX_ATTEMPTS) {
      this.db.run("UPDATE deliveries SET attempts = ?, status = 'failed', last_error = ? WHERE id = ?", attempts, error, id);
      this.timers.clear("webhook", id);
    } else {
      this.db.run("UPDATE deliveries SET attempts = ?, last_error = ? WHERE id = ?", attempts, error, id);
      this.timers.set("webhook", now + RETRY_DELAYS[attempts - 1]!, id);
    }
  }

  // ---- the once-only rules, told by the ledger -----------------------------

  /** `pool.usage_high` once on reaching the threshold, armed again when use falls 10 points below it. */
  inUseChanged(p: PoolRow, now: number): void {
    if (p.seats === 0) return;
    const percent = (p.in_use * 100) / p.seats;
    if (!this.usageHigh && percent >= p.alert_threshold_percent) {
      this.setUsageHigh(true);
      this.emit(p, "pool.usage_high", { seats: p.seats, inUse: p.in_use, thresholdPercent: p.alert_threshold_percent }, now);
    } else if (this.usageHigh && percent < p.alert_threshold_percent - USAGE_HYSTERESIS_POINTS) {
      this.setUsageHigh(false);
    }
  }

  /** `pool.denied` for the first `pool_full` or `group_full` refusal in an hour. */
  denied(p: PoolRow, code: string, details: Record<string, unknown>, now: number): void {
    if (code !== "pool_full" && code !== "group_full") return;
    const hour = Math.floor(now / HOUR) * HOUR;
    if (this.deniedHour === hour) return;
    this.deniedHour = hour;
    this.db.run("UPDATE alert_state SET denied_hour = ? WHERE id = 1", hour);
    this.emit(p, "pool.denied", { code, ...details }, now);
  }

  /** `seat.freed` (an admin freed it) and `seat.reclaimed` (taken back for someone waiting). */
  seatEnded(p: PoolRow, seat: { seat_id: string; user: string; machine: string; terminal_session: string | null }, reason: string, now: number): void {
    const type = reason === "freed" ? "seat.freed" : reason === "reclaimed" ? "seat.reclaimed" : null;
    if (type) this.emit(p, type, { seatId: seat.seat_id, user: seat.user, machine: seat.machine, terminalSession: seat.terminal_session }, now);
  }

  /**
   * Called by the queue when someone has waited 5 minutes, inside the transaction that
   * notices it, with the waiter's identity and how long they waited.
   */
  queueWaiting(p: PoolRow, waiter: Record<string, unknown>, now: number): void {
    this.emit(p, "queue.waiting", waiter, now);
  }

  // ---- the term's warnings ------------------------------------------------------

  /**
   * Sets, moves or clears the `pool_expiring` timers (one per warning, keyed by its days)
   * for the pool's `validUntil`; call in the transaction that sets it. A warning whose moment
   * passed less than a day ago is due at once; an older one is not set.
   */
  scheduleExpiring(p: PoolRow, now: number): void {
    for (const days of EXPIRY_WARNING_DAYS) {
      const at = p.valid_until === null ? null : p.valid_until - days * DAY;
      if (at === null || now - at > EXPIRY_WARNING_LATENESS) {
        if (this.timers.has("pool_expiring", String(days))) this.timers.clear("pool_expiring", String(days));
      } else {
        this.timers.set("pool_expiring", at, String(days));
      }
    }
  }

  /** The `pool_expiring` timer's handler: `pool.expiring` once, unless the term moved or the warning is over a day late. */
  expiringDue(p: PoolRow, key: string, now: number): void {
    const days = Number(key);
    if (p.valid_until === null || !(EXPIRY_WARNING_DAYS as readonly number[]).includes(days)) return;
    const at = p.valid_until - days * DAY;
    if (now < at) return this.timers.set("pool_expiring", at, key);
    if (now - at > EXPIRY_WARNING_LATENESS) return;
    // whole days left, rounded up: the warning's own figure whenever it is under a day late
    this.emit(p, "pool.expiring", { validUntil: iso(p.valid_until), daysLeft: Math.ceil((p.valid_until - now) / DAY) }, now);
  }

  private setUsageHigh(on: boolean): void {
    this.usageHigh = on;
    this.db.run("UPDATE alert_state SET usage_high = ? WHERE id = 1", on ? 1 : 0);
  }
}
