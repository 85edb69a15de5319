import path from "node:path";
import { writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GroupFullError, type CreatePoolResponse } from "../../src/client/index.js";
import { startLocalServer, type LocalServer } from "./local-server";
import { createPool, isolatedClient, removeTempDirs, tempDir, uniqueUser, vendor } from "./sdk-helpers";

let server: LocalServer;
let pool: CreatePoolResponse;
beforeAll(async () => {
  server = await startLocalServer();
  pool = await createPool(server, 3);
  await vendor(server).updatePool(pool.poolId, { groups: { Design: { max: 1 } } });
});
afterAll(async () => {
  await server?.dispose();
  removeTempDirs();
});

describe("the client's group", () => {
  it("comes from SEATKEEPER_GROUP or the policy file, and a full group is a GroupFullError naming it", async () => {
    const first = isolatedClient({ url: server.url, serial: pool.serial, productKey: pool.productKey, user: uniqueUser(), env: { SEATKEEPER_GROUP: "design" } });
    await first.checkout();
    const details = await vendor(server).getPool(pool.poolId);
    expect(details.groups).toEqual({ Design: { reserved: null, max: 1, inUse: 1 } });

    const file = path.join(tempDir("seatkeeper-policy-"), "policy.json");
    writeFileSync(file, JSON.stringify({ group: "Design" }));
    const second = isolatedClient({ url: server.url, serial: pool.serial, productKey: pool.productKey, user: uniqueUser(), policyFile: file });
    const err = await second.checkout().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GroupFullError);
    expect(err).toMatchObject({ code: "group_full", group: "Design", max: 1, inUse: 1 });
    await first.release();
  });
});
