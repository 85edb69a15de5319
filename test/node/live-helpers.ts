/**
 * Helpers for the live-channel tests: the relay (relay-helpers.ts), which like a proxy that
 * does not allow WebSockets can answer an upgrade with 403 while it forwards ordinary HTTP;
 * and a wait for a condition.
 */
// The relay is the one in relay-helpers.ts; these names stay for the tests written against them.
export { Relay as InspectingRelay, type SeenRequest } from "./relay-helpers";

export async function until(check: () => boolean | Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
