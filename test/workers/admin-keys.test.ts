import { describe, expect, it } from "vitest";
import { VENDOR, call, createPool, freshAddress } from "./helpers";

describe("POST /v1/pools/{poolId}/admin-keys", () => {
  it("issues a key for this pool alone, typable in any case, and logs who replaced the old one", async () => {
    const pool = await createPool(1);
    const issued = await call("POST", `/v1/pools/${pool.poolId}/admin-keys`, { token: VENDOR });
    expect(issued.status).toBe(201);
    const key: string = issued.body.adminKey;
    // AK, the pool id in groups of four, then 25 random characters in groups of five
    const grouped = pool.poolId.match(/.{4}/g)!.join("-");
    expect(key).toMatch(new RegExp(`^AK-${grouped}(-[0-9A-HJKMNP-TV-Z]{5}){5}$`));
    // letter case and dashes do not matter, as on a phone call to IT
    const typed = key.toLowerCase().replace(/-/g, "");
    expect((await call("GET", `/v1/pools/${pool.poolId}`, { token: typed })).status).toBe(200);
    // the previous key is refused before the body is read
    const old = await call("PATCH", `/v1/pools/${pool.poolId}`, { token: pool.adminKey, rawBody: "{not json", address: freshAddress() });
    expect(old.status).toBe(401);
    expect(old.body.error.code).toBe("unauthorized");

    const events = (await call("GET", `/v1/pools/${pool.poolId}/events`, { token: key })).body.events;
    expect(events.find((e: { type: string }) => e.type === "admin_key_rotated")).toMatchObject({ actor: "vendor" });
  });

  it("takes no body: one sent anyway is ignored, whatever its type", async () => {
    const pool = await createPool(1);
    const res = await call("POST", `/v1/pools/${pool.poolId}/admin-keys`, { token: pool.adminKey, rawBody: "ignored", headers: { "content-type": "text/plain" } });
    expect(res.status).toBe(201);
    expect((await call("GET", `/v1/pools/${pool.poolId}`, { token: res.body.adminKey })).status).toBe(200);
  });
});
