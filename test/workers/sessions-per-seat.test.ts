import { describe, expect, it } from "vitest";
import { VENDOR, call, checkout, createPool, expectError, freshAddress, seatsOf } from "./helpers";

const ann = { user: "ann", machine: "PC-1" };

describe("how much one seat may carry", () => {
  it("20 checkouts of one identity on a one-seat pool: the pool's ten sessions share the seat, the rest are refused", async () => {
    const pool = await createPool(1);
    const answers = [];
    for (let i = 0; i < 20; i++) answers.push(await checkout(pool, ann));
    expect(answers.slice(0, 10).map((a) => a.status)).toEqual(Array(10).fill(201));
    for (const a of answers.slice(10)) {
      expectError(a, 409, "too_many_sessions");
      expect(a.body.error.details).toMatchObject({ reason: "sessions", max: 10 });
    }
    const [seat] = await seatsOf(pool);
    expect(seat.sessions).toHaveLength(10);
  });

  it("takes maxSessionsPerSeat from the pool's settings", async () => {
    const pool = await createPool(1, { maxSessionsPerSeat: 2 });
    expect((await call("GET", `/v1/pools/${pool.poolId}`, { token: VENDOR })).body).toMatchObject({ maxSessionsPerSeat: 2, maxAddressesPerSeat: 3 });
    expect((await checkout(pool, ann)).status).toBe(201);
    expect((await checkout(pool, ann)).status).toBe(201);
    expectError(await checkout(pool, ann), 409, "too_many_sessions");
    const patched = await call("PATCH", `/v1/pools/${pool.poolId}`, { token: pool.adminKey, body: { maxSessionsPerSeat: 3 } });
    expect(patched.status).toBe(200);
    expect((await checkout(pool, ann)).status).toBe(201);
    expectError(await call("PATCH", `/v1/pools/${pool.poolId}`, { token: VENDOR, body: { maxSessionsPerSeat: 101 } }), 400, "invalid_request");
  });

  it("flags a seat used from more addresses than allowed, logs it once, and refuses it where the pool says so", async () => {
    const pool = await createPool(1);
    for (let i = 0; i < 5; i++) expect((await checkout(pool, ann, { address: freshAddress() })).status).toBe(201);
    const [seat] = await seatsOf(pool);
    expect(seat.sharedFromAddresses).toBe(true);
    const events = (await call("GET", `/v1/pools/${pool.poolId}/events`, { token: VENDOR })).body.events;
    expect(events.filter((e: any) => e.type === "seat_shared_widely")).toHaveLength(1);

    const strict = await createPool(1, { refuseWidelySharedSeats: true, maxAddressesPerSeat: 2 });
    expect((await checkout(strict, ann, { address: "192.0.2.10" })).status).toBe(201);
    expect((await checkout(strict, ann, { address: "192.0.2.11" })).status).toBe(201);
    expect((await checkout(strict, ann, { address: "192.0.2.10" })).status).toBe(201); // an address it already has
    const refused = await checkout(strict, ann, { address: "192.0.2.12" });
    expectError(refused, 409, "too_many_sessions");
    expect(refused.body.error.details).toMatchObject({ reason: "addresses", max: 2 });
    expect((await seatsOf(strict))[0].sharedFromAddresses).toBe(false);
  });

  it("binds a seat taken with a machineId to that machine: another machine with the same name is refused", async () => {
    const pool = await createPool(2);
    expect((await checkout(pool, { ...ann, machineId: "4c4c4544-0042" })).status).toBe(201);
    expect((await checkout(pool, { ...ann, machineId: "4C4C4544-0042" })).status).toBe(201);
    for (const other of [{ ...ann, machineId: "9d9d-other" }, ann]) {
      const res = await checkout(pool, other);
      expectError(res, 409, "too_many_sessions");
      expect(res.body.error.details.reason).toBe("machine_mismatch");
    }
    // a seat taken without one stays joinable, as in version 1
    expect((await checkout(pool, { user: "bob", machine: "PC-2" })).status).toBe(201);
    expect((await checkout(pool, { user: "bob", machine: "PC-2", machineId: "any" })).status).toBe(201);
  });
});
