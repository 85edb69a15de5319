/**
 * A small DevTools-protocol client for the runtime's inspector: collect garbage and
 * read the JS heap (memory per held seat), and take a CPU profile of a load run
 * (`--profile`). Connected only while it is used, so it costs the measured runs nothing.
 */
import WebSocket from "ws";

export class Inspector {
  private next = 0;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(private readonly socket: WebSocket) {
    socket.on("message", (data: unknown) => {
      const msg = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string } };
      const waiter = msg.id === undefined ? undefined : this.pending.get(msg.id);
      if (!waiter) return;
      this.pending.delete(msg.id!);
      if (msg.error) waiter.reject(new Error(msg.error.message));
      else waiter.resolve(msg.result);
    });
  }

  /** Attaches to the Worker's isolate (Miniflare names it `core:user:` plus the worker's name). */
  static async connect(port: number): Promise<Inspector> {
    const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as { webSocketDebuggerUrl: string }[];
    const target = targets.find((t) => /\/core:user:[^/]*$/.test(t.webSocketDebuggerUrl));
    if (!target) throw new Error("the runtime's inspector lists no user worker");
    const socket = new WebSocket(target.webSocketDebuggerUrl);
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", (e: unknown) => reject(e as Error));
    });
    return new Inspector(socket);
  }

  send<T>(method: string, params: Record<string, unknown> = {}, timeoutMs = 60_000): Promise<T> {
    const id = ++this.next;
    this.socket.send(JSON.stringify({ id, method, params }));
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`the inspector did not answer ${method}`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => (clearTimeout(timer), resolve(v as T)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
    });
  }

  /**
   * Bytes of live JS heap after a full collection. workerd does not answer
   * HeapProfiler.collectGarbage, but a heap snapshot collects first; its chunks are dropped.
   */
  async heapAfterGc(): Promise<number> {
    await this.send("HeapProfiler.enable");
    await this.send("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
    await this.send("HeapProfiler.disable");
    const { usedSize } = await this.send<{ usedSize: number }>("Runtime.getHeapUsage");
    return usedSize;
  }

  async startProfile(intervalMicros = 100): Promise<void> {
    await this.send("Profiler.enable");
    await this.send("Profiler.setSamplingInterval", { interval: intervalMicros });
    await this.send("Profiler.start");
  }

  async stopProfile(): Promise<unknown> {
    const { profile } = await this.send<{ profile: unknown }>("Profiler.stop");
    await this.send("Profiler.disable");
    return profile;
  }

  close(): void {
    this.socket.close();
  }
}
