import { describe, expect, it } from "vitest";
import { decideSeat, identityKey, judgeCredentials, roleMay, versionAllowed } from "../../durable-objects/decisions";
import { compareVersions } from "../../src/contract/text";

describe("the pool's decisions", () => {
  it("takes a seat while one is free, joins a held seat even when full, and refuses otherwise", () => {
    expect(decideSeat(false, 0, 1)).toBe("take");
    expect(decideSeat(false, 1, 1)).toBe("full");
    expect(decideSeat(true, 1, 1)).toBe("join");
    expect(decideSeat(false, 5, 3)).toBe("full"); // seats lowered below usage
    expect(decideSeat(false, 0, 0)).toBe("full");
  });

  it("keys an identity by trimmed, case-folded parts, with no terminal session as the console", () => {
    expect(identityKey(" JSmith ", "PC-1", undefined)).toBe(identityKey("jsmith", "pc-1", null));
    expect(identityKey("a", "b", "RDP#1")).not.toBe(identityKey("a", "b", undefined));
    expect(identityKey("a b", "c", undefined)).not.toBe(identityKey("a", "b c", undefined));
  });

  it("compares dotted versions numerically", () => {
    expect(compareVersions("16", "16.0.0")).toBe(0);
    expect(compareVersions("16.0.2", "16")).toBeGreaterThan(0);
    expect(compareVersions("9", "10")).toBeLessThan(0);
    expect(compareVersions("16.10", "16.9")).toBeGreaterThan(0);
    expect(compareVersions("0016.1", "16.01")).toBe(0);
    expect(compareVersions("1".repeat(30), "9".repeat(20))).toBeGreaterThan(0);
    expect(versionAllowed(null, undefined)).toBe(true);
    expect(versionAllowed("16", undefined)).toBe(false);
    expect(versionAllowed("16", "16.0.2")).toBe(true);
    expect(versionAllowed("16.1", "16.0.9")).toBe(false);
  });

  it("tells a revoked pair from a wrong one", () => {
    const history = new Map([[1, "aa"], [2, "bb"]]);
    const current = { generation: 2, keyHash: "bb" };
    const judge = (generation: number, keyHash: string) => judgeCredentials(current, { generation, keyHash }, (g) => history.get(g));
    expect(judge(2, "bb")).toBe("ok");
    expect(judge(2, "aa")).toBe("invalid");
    expect(judge(1, "aa")).toBe("revoked");
    expect(judge(1, "bb")).toBe("invalid");
    expect(judge(3, "bb")).toBe("invalid");
  });

  it("lets pool admins do everything on their pool but change its seats", () => {
    expect(roleMay("admin", "update_seats")).toBe(false);
    expect(roleMay("vendor", "update_seats")).toBe(true);
    for (const action of ["read", "update", "free", "rotate_credentials", "rotate_admin_key", "manage_admins"] as const) expect(roleMay("admin", action)).toBe(true);
    for (const action of ["list_pools", "create_pool", "manage_staff"] as const) expect(roleMay("admin", action)).toBe(false);
  });

  it("gives each staff role what the one below it has, and more", () => {
    expect(roleMay("viewer", "read")).toBe(true);
    expect(roleMay("viewer", "free")).toBe(false);
    expect(roleMay("support", "free")).toBe(true);
    expect(roleMay("support", "update_seats")).toBe(false);
    expect(roleMay("sales", "update_seats")).toBe(true);
    expect(roleMay("sales", "manage_staff")).toBe(false);
    expect(roleMay("owner", "manage_staff")).toBe(true);
    // the ADMIN_TOKEN is an owner, for break-glass use
    expect(roleMay("vendor", "manage_staff")).toBe(true);
  });
});
