import type { LicencePool } from "../../durable-objects/licence-pool.js";
import { messages } from "../contract/messages.js";
import type { LocationHint, Region } from "../contract/schemas.js";
import { regionOf } from "./credentials.js";
import type { Env } from "./env.js";
import { ApiError } from "./errors.js";

/** The part of the Worker's env that decides where a pool's object lives. */
export type PlacementEnv = Pick<Env, "POOL" | "JURISDICTIONS">;

let warnedNoJurisdictions = false;

/**
 * The namespace a pool of `region` lives in: the EU jurisdiction for EU pools. Only a
 * local run (workerd has no jurisdictions) sets JURISDICTIONS=off and gets the global
 * namespace, and says so; anywhere else an EU pool is never served from outside the EU.
 */
export function poolNamespace(env: PlacementEnv, region: Region): DurableObjectNamespace<LicencePool> {
  if (region === "global") return env.POOL;
  if (env.JURISDICTIONS === "off") {
    if (!warnedNoJurisdictions) {
      warnedNoJurisdictions = true;
      console.warn("JURISDICTIONS=off: EU pools live in the global namespace. Local runs only; a deployed Worker never sets this.");
    }
    return env.POOL;
  }
  try {
    return env.POOL.jurisdiction(region);
  } catch (e) {
    // workerd: "Jurisdiction restrictions are not implemented in workerd"
    console.error(`The ${region} jurisdiction is unavailable: ${e instanceof Error ? e.message : String(e)}`);
    throw new ApiError("invalid_request", messages.regionUnavailable(region));
  }
}

/** The pool's object, found by name from the id carried in the serial or admin key, in the namespace its id names. */
export function poolStub(env: Env, poolId: string, locationHint?: LocationHint | null) {
  const ns = poolNamespace(env, regionOf(poolId));
  return locationHint ? ns.get(ns.idFromName(poolId), { locationHint }) : ns.get(ns.idFromName(poolId));
}

/** The one directory of pools, read by admin endpoints only. */
export function directoryStub(env: Pick<Env, "DIRECTORY">) {
  return env.DIRECTORY.get(env.DIRECTORY.idFromName("directory"));
}
