/**
 * Webhooks of one pool: its subscriptions, the transactional outbox and the once-only
 * alert rules. `emit` runs inside the transaction of the event that causes it and only
 * writes a delivery row and a `webhook` timer; the alarm sends due deliveries after its
 * transaction (`sendDue`), so nothing is ever sent inside the critical section, and a
 * crash between the event and its delivery leaves the row and its timer to try again.
 */
import type { Delivery, Webhook, WebhookEventType } from "../src/contract/schemas.js";
import { HOUR, MINUTE, SECOND } from "../src/contract/time.js";
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
}

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
    return this.db.all<DeliveryRow & Row>("SELECT * FROM deliveries WHERE webhook_id = ? ORDER BY at DESC, id DESC LIMIT ?", webhookId, DELIVERY_LOG)
      .map(deliveryView);
  }

  // ---- the outbox ----------------------------------------------------------

  /** One delivery row per subscription to `type`, with its timer due now; call inside the event's transaction. */
  emit(p: PoolRow, type: WebhookEventType, data: Record<string, unknown>, now: number): void {
    if (!this.any) return;
    for (const w of this.db.all<WebhookRow & Row>("SELECT * FROM webhooks")) {
      if (!(JSON.parse(w.events) as string[]).includes(type)) continue;
      const id = deliveryId();
      const payload = JSON.stringify({ type, timestamp: iso(now), data: { poolId: p.pool_id, ...data } });
      this.db.run("INSERT INTO deliveries (id, webhook_id, type, at, payload) VALUES (?, ?, ?, ?, ?)", id, w.webhook_id, type, now, payload);
      this.db.run(
        `DELETE FROM deliveries WHERE webhook_id = ? AND status <> 'pending' AND id NOT IN
           (SELECT id FROM deliveries WHERE webhook_id = ? ORDER BY at DESC, id DESC LIMIT ?)`,
        w.webhook_id, w.webhook_id, DELIVERY_LOG,
      );
      this.timers.set("webhook", now, id);
    }
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

  /** Sends what `timerFired` queued, then records each outcome in its own transaction via `commit`. */
  async sendDue(commit: (fn: () => void) => void, clock: () => number): Promise<void> {
    const ids = this.due;
    this.due = [];
    await Promise.all(ids.map(async (id) => {
      const d = this.delivery(id);
      const w = d && this.db.first<WebhookRow & Row>("SELECT * FROM webhooks WHERE webhook_id = ?", d.webhook_id);
      if (!d || !w || d.status !== "pending") return;
      const error = await this.send(w, d);
      commit(() => this.record(id, error, clock()));
    }));
  }

  private delivery(id: string): DeliveryRow | undefined {
    return this.db.first<DeliveryRow & Row>("SELECT * FROM deliveries WHERE id = ?", id);
  }

  /** One attempt: null on a 2xx, else what went wrong, in words for the delivery log. */
  private async send(w: WebhookRow, d: DeliveryRow): Promise<string | null> {
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
   * Hook for the queue (not on this branch): call when someone has waited 5 minutes, inside
   * the transaction that notices it, with the waiter's identity and how long they waited.
   */
  queueWaiting(p: PoolRow, waiter: Record<string, unknown>, now: number): void {
    this.emit(p, "queue.waiting", waiter, now);
  }

  /**
   * Hook for the pool's term (`validUntil`, added by the policy branch): TODO once the
   * `valid_until` column exists, set timers at 14 and 3 days before it and call this from them.
   */
  expiring(p: PoolRow, validUntil: number, daysLeft: number, now: number): void {
    this.emit(p, "pool.expiring", { validUntil: iso(validUntil), daysLeft }, now);
  }

  private setUsageHigh(on: boolean): void {
    this.usageHigh = on;
    this.db.run("UPDATE alert_state SET usage_high = ? WHERE id = 1", on ? 1 : 0);
  }
}
