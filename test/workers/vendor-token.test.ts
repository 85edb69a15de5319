import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/worker/index";
import { VENDOR } from "./helpers";

/** The Worker as deployed with another ADMIN_TOKEN secret. */
async function listPoolsWith(adminToken: string, bearer: string): Promise<number> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request("https://seatkeeper.test/v1/pools", { headers: { authorization: `Bearer ${bearer}`, "cf-connecting-ip": "192.0.2.77" } }),
    { ...env, ADMIN_TOKEN: adminToken },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return res.status;
}

describe("the vendor token", () => {
  it("is refused, even presented exactly, when the deployed one is shorter than 32 characters", async () => {
    expect(VENDOR.length).toBeGreaterThanOrEqual(32);
    expect(await listPoolsWith(VENDOR, VENDOR)).toBe(200);
    const short = "a".repeat(31);
    expect(await listPoolsWith(short, short)).toBe(401);
    expect(await listPoolsWith("a".repeat(32), "a".repeat(32))).toBe(200);
  });
});
