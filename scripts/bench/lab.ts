/**
 * Where a checkout's time goes: each step of the request path, repeated `n` times
 * inside the runtime, timed from outside. Inside workerd the clock stands still while
 * code runs (a Spectre mitigation), so the bench times a whole batch from Node and
 * divides. Every step runs the production code: the route's schema, the hashing, the
 * token functions, the pool object's RPC methods and the pool store's SQL.
 */
import { DurableObject } from "cloudflare:workers";
import { CheckoutRequest } from "../../src/contract/schemas.js";
import { formatSerial, normalizeKey, parseSerial, sha256Hex } from "../../src/worker/credentials.js";
import type { Env } from "../../src/worker/env.js";
import { signSessionToken, verifySessionToken } from "../../src/worker/tokens.js";
import { identityKey } from "../../durable-objects/decisions.js";
import { poolMigrations, runMigrations } from "../../durable-objects/migrations.js";
import { LATER_SETTING_DEFAULTS, PoolStore } from "../../durable-objects/pool-store.js";
import { MeteredSql } from "../../durable-objects/metered-sql.js";
import type { Ceiling } from "./ceiling.js";
import type { LabStep } from "./steps.js";

export type { LabStep };


/** The production bindings plus the bench's own objects. */
export interface BenchEnv extends Env {
  CEILING: DurableObjectNamespace<Ceiling>;
  SQL_LAB: DurableObjectNamespace<SqlLab>;
}

let counter = 0;
const who = () => {
  const n = ++counter;
  return { user: `lab-user-${n}`, machine: `LAB-PC-${n}` };
};

/** Runs the production pool store's statements against its own copy of the schema. */
export class SqlLab extends DurableObject<object> {
  private readonly store: PoolStore;
  private readonly open: { sessionId: string; seatId: string }[] = [];

  constructor(ctx: DurableObjectState, env: object) {
    super(ctx, env);
    runMigrations(ctx.storage, poolMigrations);
    this.store = new PoolStore(new MeteredSql(ctx.storage.sql));
    if (!this.store.readPool()) {
      this.store.insertPool({
        pool_id: "GLAB000000000000", customer: "lab", seats: 1_000_000, in_use: 0, min_client_version: null,
        stale_after_hours: null, generation: 1, key_hash: "0".repeat(64), admin_key_hash: "1".repeat(64), created_at: Date.now(),
        max_sessions_per_seat: 10, max_addresses_per_seat: 3, refuse_widely_shared_seats: 0, ...LATER_SETTING_DEFAULTS,
      });
    }
  }

  private takeSeat(now: number, tx: (fn: () => void) => void): void {
    const w = who();
    const seatId = `seat_${counter}`;
    const sessionId = `ses_${counter}`;
    tx(() => {
      this.store.activeSeatOf(identityKey(w.user, w.machine, null));
      this.store.insertSeat({ seat_id: seatId, identity: identityKey(w.user, w.machine, null), user: w.user, machine: w.machine, terminal_session: null, since: now, last_seen_at: now, sessions: 1, machine_id: null });
      this.store.insertSession({ session_id: sessionId, seat_id: seatId, instance: null, client_version: "16.0.2", started_at: now, last_seen_at: now, address: "192.0.2.1" });
      this.store.recordUsage(now, counter - 1, counter, 1, 0);
      this.store.logEvent(now, { type: "checkout", seatId, sessionId, ...w, terminalSession: null, details: { seatShared: false, clientVersion: "16.0.2" } });
    });
    this.open.push({ sessionId, seatId });
  }

  run(step: LabStep, n: number): number {
    const storage = this.ctx.storage;
    const tx = (fn: () => void) => storage.transactionSync(fn);
    const now = Date.now();
    for (let i = 0; i < n; i++) {
      switch (step) {
        case "sql-transaction": tx(() => {}); break;
        case "sql-active-seat": { const w = who(); tx(() => void this.store.activeSeatOf(identityKey(w.user, w.machine, null))); break; }
        case "sql-insert-seat": {
          const w = who();
          tx(() => this.store.insertSeat({ seat_id: `seat_${counter}`, identity: identityKey(w.user, w.machine, null), user: w.user, machine: w.machine, terminal_session: null, since: now, last_seen_at: now, sessions: 1, machine_id: null }));
          break;
        }
        case "sql-insert-session":
          tx(() => this.store.insertSession({ session_id: `ses_${++counter}`, seat_id: "seat_x", instance: null, client_version: "16.0.2", started_at: now, last_seen_at: now, address: "192.0.2.1" }));
          break;
        case "sql-in-use": tx(() => this.writeInUse(i)); break;
        case "sql-usage": tx(() => this.store.recordUsage(now, i, i + 1, 1, 0)); break;
        case "sql-event": {
          const w = who();
          tx(() => this.store.logEvent(now, { type: "checkout", seatId: "seat_x", sessionId: "ses_x", ...w, terminalSession: null, details: { seatShared: false, clientVersion: "16.0.2" } }));
          break;
        }
        case "sql-session": tx(() => void this.store.session(`ses_${counter - i}`, `seat_${counter - i}`)); break;
        case "sql-checkout": this.takeSeat(now, tx); break;
        case "sql-end-session":
        case "sql-release": {
          if (this.open.length === 0) this.takeSeat(now, tx); // prepared outside the timing only when the caller forgot
          const s = this.open.pop()!;
          if (step === "sql-end-session") tx(() => void this.store.endSession(s.sessionId, s.seatId, "released", now));
          else {
            tx(() => {
              this.store.session(s.sessionId, s.seatId);
              this.store.endSession(s.sessionId, s.seatId, "released", now);
              this.store.recordUsage(now, this.open.length + 1, this.open.length, 0, 0);
              this.store.logEvent(now, { type: "release", seatId: s.seatId, sessionId: s.sessionId, user: "u", machine: "m", terminalSession: null, details: { seatFreed: true } });
            });
          }
          break;
        }
        default: throw new Error(`not a SQL step: ${step}`);
      }
    }
    return n;
  }

  /** The pool row's in-use counter, as the pool object writes it today (raw SQL, so the lab outlives a change there). */
  private writeInUse(n: number): void {
    this.ctx.storage.sql.exec("UPDATE pool SET in_use = ? WHERE id = 1", n);
  }

  /** One write and its commit: a round trip to this object minus the ceiling's is what committing costs. */
  write(): number {
    this.writeInUse(++counter);
    return 1;
  }

  /** Takes `n` seats outside any timing, so the release steps have sessions to end. */
  prepare(n: number): number {
    const now = Date.now();
    for (let i = 0; i < n; i++) this.takeSeat(now, (fn) => this.ctx.storage.transactionSync(fn));
    return this.open.length;
  }

  /** The plan SQLite picks for each statement the pool runs on the checkout and release paths. */
  plans(): Record<string, string[]> {
    const statements: Record<string, string> = {
      "find the identity's seat": "SELECT seat_id FROM seats WHERE identity = ? AND ended_at IS NULL",
      "find the session": "SELECT * FROM sessions WHERE seat_id = ? AND session_id = ?",
      "find an instance": "SELECT sessions.*, seats.identity FROM sessions JOIN seats USING (seat_id) WHERE sessions.instance = ?",
      "end the session": "UPDATE sessions SET ended_at = ?, end_reason = ? WHERE seat_id = ? AND session_id = ?",
      "end the seat with its last session": "UPDATE seats SET sessions = sessions - 1, ended_at = CASE WHEN sessions = 1 THEN ? ELSE NULL END WHERE seat_id = ? RETURNING *",
      "a seat's active sessions": "SELECT * FROM sessions WHERE seat_id = ? AND ended_at IS NULL ORDER BY started_at",
      "usage bucket (primary-key upsert)": "INSERT INTO usage_hours (hour, peak_in_use, last_in_use, checkouts, denials) VALUES (?, ?, ?, ?, ?) ON CONFLICT (hour) DO UPDATE SET peak_in_use = max(peak_in_use, excluded.peak_in_use), last_in_use = excluded.last_in_use, checkouts = checkouts + excluded.checkouts, denials = denials + excluded.denials",
      "prune events": "DELETE FROM events WHERE agg_key IS NULL AND id <= (SELECT id FROM events WHERE agg_key IS NULL ORDER BY id DESC LIMIT 1 OFFSET ?)",
      "prune ended sessions (every 4,096 ends)": "DELETE FROM sessions WHERE ended_at IS NOT NULL AND ended_at < ?",
      "oldest active seat (expiry alarm)": "SELECT MIN(last_seen_at) AS t FROM seats WHERE ended_at IS NULL",
      "seats in use (admin list, a page)": "SELECT * FROM seats WHERE ended_at IS NULL AND seat_id > ? ORDER BY seat_id LIMIT ?",
    };
    const out: Record<string, string[]> = {};
    for (const [name, sql] of Object.entries(statements)) {
      const params = (sql.match(/\?/g) ?? []).map(() => null);
      out[name] = this.ctx.storage.sql.exec<{ detail: string }>(`EXPLAIN QUERY PLAN ${sql}`, ...params).toArray().map((r) => r.detail);
    }
    return out;
  }
}

interface LabState {
  pool?: { poolId: string; serial: string; productKey: string; keyHash: string; generation: number };
  sessions: { sessionId: string; token: string; seatId: string }[];
}
const state: LabState = { sessions: [] };

const PRODUCT_KEY = "AB000-AB000-AB000-AB000-AB000";

async function labPool(env: BenchEnv): Promise<NonNullable<LabState["pool"]>> {
  if (state.pool) return state.pool;
  const poolId = "GAB" + "0".repeat(12) + "1";
  const keyHash = await sha256Hex(normalizeKey(PRODUCT_KEY));
  const stub = env.POOL.get(env.POOL.idFromName(poolId));
  const created = await stub.create({ poolId, customer: "lab", seats: 1_000_000, minClientVersion: null, staleAfterHours: null, maxSessionsPerSeat: 10, maxAddressesPerSeat: 3, refuseWidelySharedSeats: false, selfRelease: true, region: "global", locationHint: null, retentionDays: 90, keyHash, adminKeyHash: "1".repeat(64) });
  if (!created.ok && created.code !== "invalid_request") throw new Error(created.message);
  state.pool = { poolId, serial: formatSerial(poolId, 1), productKey: PRODUCT_KEY, keyHash, generation: 1 };
  return state.pool;
}

/** Runs a step `n` times; answers how many ran. */
export async function runWorkerStep(
  step: LabStep,
  n: number,
  env: BenchEnv,
  ctx: ExecutionContext,
  service: { fetch(req: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response> },
  concurrency = 1,
): Promise<number> {
  if (step.startsWith("sql-")) return env.SQL_LAB.get(env.SQL_LAB.idFromName("lab")).run(step, n);
  const pool = await labPool(env);
  const stub = env.POOL.get(env.POOL.idFromName(pool.poolId));
  const body = () => ({ serial: pool.serial, productKey: pool.productKey, ...who(), clientVersion: "16.0.2" });
  const claims = { sub: "ses_0123456789abcdefghjkmn", pool: pool.poolId, seat: "seat_0123456789abcd", user: "lab-user", machine: "LAB-PC" };
  const token = await signSessionToken(env, claims);
  const ceiling = env.CEILING.get(env.CEILING.idFromName("ceiling"));
  const lab = env.SQL_LAB.get(env.SQL_LAB.idFromName("lab"));
  let next = 0;
  const chain = async () => {
  while (next < n) {
    next++;
    switch (step) {
      case "validate": if (!CheckoutRequest.safeParse(JSON.parse(JSON.stringify(body()))).success) throw new Error("invalid"); break;
      case "hash": if (!parseSerial(pool.serial) || (await sha256Hex(normalizeKey(pool.productKey))) !== pool.keyHash) throw new Error("hash"); break;
      case "sign": await signSessionToken(env, claims); break;
      case "verify": if (!(await verifySessionToken(env, token, claims.sub))) throw new Error("verify"); break;
      case "rpc-noop": await ceiling.noop(); break;
      case "rpc-write": await lab.write(); break;
      case "do-checkout": {
        const out = await stub.checkout({ generation: 1, keyHash: pool.keyHash, ...who(), clientVersion: "16.0.2", address: "192.0.2.1" });
        if (!out.ok) throw new Error(out.message);
        if ("queued" in out) throw new Error("queued without wait");
        state.sessions.push({ sessionId: out.sessionId, seatId: out.seatId, token: "" });
        break;
      }
      case "do-release": {
        const s = state.sessions.pop();
        if (!s) throw new Error("run do-checkout first");
        const out = await stub.release(s.sessionId, s.seatId);
        if (!out.ok) throw new Error(out.message);
        break;
      }
      case "app-checkout": {
        // With its length, as a client sends it, so the body limit takes its one-header path.
        const json = JSON.stringify(body());
        const headers = { "content-type": "application/json", "content-length": String(new TextEncoder().encode(json).length) };
        const res = await service.fetch(new Request("http://lab/v1/sessions", { method: "POST", headers, body: json }), env, ctx);
        if (res.status !== 201) throw new Error(`checkout ${res.status}`);
        const out = (await res.json()) as { sessionId: string; token: string; seatId: string };
        state.sessions.push(out);
        break;
      }
      case "app-release": {
        const s = state.sessions.pop();
        if (!s?.token) throw new Error("run app-checkout first");
        const res = await service.fetch(
          new Request(`http://lab/v1/sessions/${s.sessionId}`, { method: "DELETE", headers: { authorization: `Bearer ${s.token}` } }),
          env, ctx,
        );
        if (res.status !== 200) throw new Error(`release ${res.status}`);
        await res.arrayBuffer();
        break;
      }
      default: throw new Error(`unknown step ${step}`);
    }
  }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, n)) }, chain));
  return n;
}
