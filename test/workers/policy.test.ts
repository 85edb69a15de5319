import { describe, expect, it } from "vitest";
import {
  blockingRule, decideTake, groupTable, heldBackFor, isExpiring, judgeTerm, patternMatches, policyIssues, waiterForFreedSeat,
  type SeatFigures,
} from "../../durable-objects/policy";
import { DAY } from "../../src/contract/time";

const figures = (over: Partial<SeatFigures> & { groupsOf?: Record<string, { reserved?: number; max?: number }>; counts?: Record<string, number> } = {}): SeatFigures => ({
  seats: 10, overdraftSeats: null, inUse: 0,
  groups: groupTable(over.groupsOf ?? {}),
  groupInUse: new Map(Object.entries(over.counts ?? {})),
  ...over,
});

describe("the term", () => {
  it("is open without bounds, and refuses before validFrom and from validUntil on", () => {
    expect(judgeTerm(5, null, null)).toBe("ok");
    expect(judgeTerm(5, 6, null)).toBe("not_started");
    expect(judgeTerm(6, 6, 10)).toBe("ok");
    expect(judgeTerm(10, 6, 10)).toBe("ended");
  });
  it("warns within 14 days of the end, not before and not after it", () => {
    const end = 100 * DAY;
    expect(isExpiring(end - 15 * DAY, end)).toBe(false);
    expect(isExpiring(end - 14 * DAY, end)).toBe(true);
    expect(isExpiring(end - 1, end)).toBe(true);
    expect(isExpiring(end, end)).toBe(false);
    expect(isExpiring(0, null)).toBe(false);
  });
});

describe("the blocklist", () => {
  it("compares as identities are, with a trailing * for any rest", () => {
    expect(patternMatches("JSmith", " jsmith ")).toBe(true);
    expect(patternMatches("temp-*", "TEMP-42")).toBe(true);
    expect(patternMatches("temp-*", "temp-")).toBe(true);
    expect(patternMatches("temp-*", "tem")).toBe(false);
    expect(patternMatches("Ｊｓｍｉｔｈ", "jsmith")).toBe(true);
    expect(patternMatches("js\u200bmith", "jsmith")).toBe(true);
    expect(patternMatches("jsmith", "jsmith2")).toBe(false);
  });
  it("needs every field a rule names to match", () => {
    const rules = [{ user: "ann", machine: "KIOSK-*" }, { machine: "PC-13" }];
    expect(blockingRule(rules, "ann", "kiosk-1")).toEqual(rules[0]);
    expect(blockingRule(rules, "ann", "PC-1")).toBeUndefined();
    expect(blockingRule(rules, "bob", "pc-13")).toEqual(rules[1]);
    expect(blockingRule([{ note: "nobody" }], "ann", "PC-1")).toBeUndefined();
  });
});

describe("seats with overdraft and groups", () => {
  it("grants up to seats, then overdraft up to seats + overdraftSeats, then full", () => {
    expect(decideTake(figures({ inUse: 9 }), null)).toEqual({ verdict: "take", overdraft: false });
    expect(decideTake(figures({ inUse: 10 }), null)).toEqual({ verdict: "full" });
    expect(decideTake(figures({ inUse: 10, overdraftSeats: 2 }), null)).toEqual({ verdict: "take", overdraft: true });
    expect(decideTake(figures({ inUse: 12, overdraftSeats: 2 }), null)).toEqual({ verdict: "full" });
  });
  it("caps a group at its max, by the name the admin wrote", () => {
    const f = figures({ groupsOf: { Design: { max: 2 } }, counts: { design: 2 }, inUse: 2 });
    expect(decideTake(f, "design")).toEqual({ verdict: "group_full", group: "Design", max: 2, inUse: 2 });
    expect(decideTake(f, null)).toEqual({ verdict: "take", overdraft: false });
  });
  it("keeps other groups' unused reservations free, but not a group's own", () => {
    const f = figures({ seats: 4, inUse: 2, groupsOf: { Design: { reserved: 2 }, Sales: {} }, counts: { sales: 2 } });
    expect(heldBackFor(f, null)).toBe(2);
    expect(decideTake(f, null)).toEqual({ verdict: "full" });
    expect(decideTake(f, "sales")).toEqual({ verdict: "full" });
    expect(decideTake(f, "design")).toEqual({ verdict: "take", overdraft: false });
    // a group that holds its reservation holds nothing back
    const held = figures({ seats: 4, inUse: 3, groupsOf: { Design: { reserved: 2 } }, counts: { design: 2 } });
    expect(decideTake(held, null)).toEqual({ verdict: "take", overdraft: false });
    // an unknown group is no group
    expect(decideTake(f, "marketing")).toEqual({ verdict: "full" });
  });
  it("gives a freed reserved seat to that group's first waiter, else to the first who may take it", () => {
    const f = figures({ seats: 3, inUse: 2, groupsOf: { Design: { reserved: 2 } }, counts: { design: 1 } });
    expect(waiterForFreedSeat(f, "design", [null, "sales", "design", "design"])).toBe(2);
    // not below its reservation: the queue's order
    const full = figures({ seats: 3, inUse: 2, groupsOf: { Design: { reserved: 1 } }, counts: { design: 1 } });
    expect(waiterForFreedSeat(full, "design", [null, "design"])).toBe(0);
    // nobody of the group waits, and the others may not eat the reservation
    expect(waiterForFreedSeat(f, "design", [null, "sales"])).toBeNull();
  });
});

describe("policy settings", () => {
  const base = { seats: 5, validFrom: null, validUntil: null, blocked: null, groups: null };
  it("accepts a consistent set", () => {
    expect(policyIssues({ ...base, validFrom: 1, validUntil: 2, blocked: [{ user: "temp-*" }], groups: { A: { reserved: 2, max: 3 }, B: { reserved: 3 } } })).toEqual([]);
  });
  it("names each problem", () => {
    const issues = policyIssues({
      ...base, validFrom: 2, validUntil: 2,
      blocked: [{ note: "x" }, { user: "a*b" }],
      groups: { Design: { reserved: 4, max: 3 }, " DESIGN": { reserved: 2 } },
    });
    expect(issues.map((i) => i.path)).toEqual(["validUntil", "blocked.0", "blocked.1.user", "groups.Design.reserved", "groups. DESIGN", "groups"]);
    expect(issues.at(-1)!.message).toContain("add up to 6, more than the pool's 5 seats");
  });
});
