/** The part of `ws` (a dependency of miniflare, pinned with it) the bench's inspector client uses. */
declare module "ws" {
  import type { EventEmitter } from "node:events";
  export default class WebSocket extends EventEmitter {
    constructor(url: string);
    send(data: string): void;
    close(): void;
  }
}
