/**
 * The policy's room in the pool object: the per-group seat counts, kept in memory and
 * recounted from the seats on load (exact, since every seat that ends passes through the
 * ledger, which tells its listeners), and the stored settings parsed once per change rather than per checkout.
 */
import { foldText } from "../src/contract/text.js";
import type { PoolRow, PoolStore, SeatRow } from "./pool-store.js";
import type { SeatListener } from "./seat-ledger.js";
import { groupTable, type BlockRule, type GroupLimits, type GroupTable, type SeatFigures } from "./policy.js";

/** What the checkout plan reads of the policy. */
export interface PolicyView {
  now: number;
  blocked: readonly BlockRule[];
  figures: SeatFigures;
}

export class PolicyRoom implements SeatListener {
  private counts = new Map<string, number>();
  private blockedText: string | null = null;
  private blocked: BlockRule[] = [];
  private groupsText: string | null = null;
  private groups: GroupTable = new Map();

  constructor(private readonly store: PoolStore) {}

  load(): void {
    this.counts = new Map(this.store.activeSeatsByGroup().map((r) => [r.group_key, r.n]));
  }

  private parse(p: PoolRow): void {
    if (p.blocked !== this.blockedText) {
      this.blockedText = p.blocked;
      this.blocked = p.blocked === null ? [] : (JSON.parse(p.blocked) as BlockRule[]);
    }
    if (p.groups !== this.groupsText) {
      this.groupsText = p.groups;
      this.groups = groupTable(p.groups === null ? null : (JSON.parse(p.groups) as Record<string, GroupLimits>));
    }
  }

  view(p: PoolRow, now: number): PolicyView {
    this.parse(p);
    return {
      now,
      blocked: this.blocked,
      figures: { seats: p.seats, overdraftSeats: p.overdraft_seats, inUse: p.in_use, groups: this.groups, groupInUse: this.counts },
    };
  }

  /** A seat was taken for `group` (the client's, folded; the seat's row holds it). */
  seatTaken(_p: PoolRow, group: string | null): void {
    if (group === null) return;
    this.counts.set(group, (this.counts.get(group) ?? 0) + 1);
  }

  seatEnded(_p: PoolRow, seat: Pick<SeatRow, "group_key">): void {
    const g = seat.group_key;
    if (g === null || g === undefined) return;
    const n = (this.counts.get(g) ?? 0) - 1;
    if (n > 0) this.counts.set(g, n);
    else this.counts.delete(g);
  }

  allEnded(): void {
    this.counts.clear();
  }

  /** The groups' figures as `GET /v1/pools/{id}` shows them, by the names the admin wrote. */
  groupFigures(p: PoolRow): Record<string, { reserved: number | null; max: number | null; inUse: number }> | null {
    this.parse(p);
    if (p.groups === null) return null;
    const out: Record<string, { reserved: number | null; max: number | null; inUse: number }> = {};
    for (const [key, g] of this.groups) out[g.name] = { reserved: g.reserved ?? null, max: g.max ?? null, inUse: this.counts.get(key) ?? 0 };
    return out;
  }

  /** The folded group a checkout names, or null. */
  static groupKey(group: string | undefined): string | null {
    return group === undefined ? null : foldText(group);
  }
}
