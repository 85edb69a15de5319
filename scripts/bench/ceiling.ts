import { DurableObject } from "cloudflare:workers";

/** Does nothing, so a round trip to it measures the runtime, not the service: the bench's ceiling. */
export class Ceiling extends DurableObject<object> {
  noop(): number {
    return 1;
  }
}
