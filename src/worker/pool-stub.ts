import type { Env } from "./env.js";

/** The pool's object, found by name from the id carried in the serial or admin key. */
export function poolStub(env: Env, poolId: string) {
  return env.POOL.get(env.POOL.idFromName(poolId));
}

/** The one directory of pools, read by admin endpoints only. */
export function directoryStub(env: Env) {
  return env.DIRECTORY.get(env.DIRECTORY.idFromName("directory"));
}
