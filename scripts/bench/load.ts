/**
 * Drives load with autocannon over keep-alive connections and keeps its own latency
 * record per kind of request (checkout, release, …), since autocannon's histogram
 * mixes every request of a chain together.
 */
import { readdirSync, readFileSync } from "node:fs";
import autocannon, { type AutocannonRequest } from "autocannon";

/** One request of a chain, what it is called in the report, and the status that counts as success. */
export interface Step {
  kind: string;
  expect: number;
  request: AutocannonRequest;
}

export interface KindStats {
  count: number;
  median: number;
  p99: number;
  /** Responses with another status than the step expects. */
  unexpected: number;
}

export interface LoadResult {
  connections: number;
  seconds: number;
  requests: number;
  rps: number;
  median: number;
  p99: number;
  errors: number;
  unexpected: number;
  kinds: Record<string, KindStats>;
  /** A few bodies of unexpected answers, to say what went wrong. */
  samples: string[];
  /**
   * CPU time the runtime's process spent per answered request (µs, user + system), when
   * its pid was given. Steadier than requests per second on a shared machine: time
   * stolen by other work stretches the run but is not charged to the process.
   */
  cpuMicrosPerRequest?: number;
  /** The same for the load generator, this process. */
  generatorCpuMicrosPerRequest?: number;
}

/**
 * CPU time a process has run so far, in µs: the sum of its threads' scheduler run time
 * (/proc/<pid>/task/<tid>/schedstat, nanoseconds), or user + system ticks where that is
 * missing; undefined off Linux.
 */
export function processCpuMicros(pid: number): number | undefined {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
      } catch {
        /* the thread ended */
      }
    }
    if (ns > 0) return ns / 1000;
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 of the whole line, in clock ticks of 1/100 s on Linux.
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return undefined;
  }
}

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

class Latencies {
  private values = new Float64Array(4096);
  length = 0;
  push(v: number): void {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = v;
  }
  sorted(): Float64Array {
    return this.values.slice(0, this.length).sort();
  }
}

export interface LoadOptions {
  connections: number;
  /** Seconds to run for; or `amount` requests in all. */
  duration?: number;
  amount?: number;
  /** The runtime's process, to charge CPU time per request to it. */
  cpuPid?: number;
}

export async function runLoad(url: string, steps: Step[], opts: LoadOptions): Promise<LoadResult> {
  const all = new Latencies();
  const byKind = new Map<string, { lat: Latencies; unexpected: number }>(steps.map((s) => [s.kind, { lat: new Latencies(), unexpected: 0 }]));
  const samples: string[] = [];
  let current: { kind: string; ok: boolean } = { kind: steps[0]!.kind, ok: true };
  let unexpected = 0;

  // autocannon calls a request's onResponse and then, synchronously, emits "response" with its latency.
  const requests = steps.map((step): AutocannonRequest => ({
    ...step.request,
    onResponse(status, body, context, headers) {
      current = { kind: step.kind, ok: status === step.expect };
      if (!current.ok) {
        unexpected++;
        byKind.get(step.kind)!.unexpected++;
        if (samples.length < 5) samples.push(`${step.kind} → ${status} ${body.slice(0, 300)}`);
      }
      step.request.onResponse?.(status, body, context, headers);
    },
  }));

  const cpuBefore = opts.cpuPid === undefined ? undefined : processCpuMicros(opts.cpuPid);
  const ownBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  const result = await new Promise<import("autocannon").AutocannonResult>((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections: opts.connections,
        pipelining: 1,
        timeout: 30,
        requests,
        ...(opts.amount !== undefined ? { amount: opts.amount } : { duration: opts.duration ?? 10 }),
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
    instance.on("response", (_client: unknown, _status: number, _bytes: number, ms: number) => {
      all.push(ms);
      byKind.get(current.kind)!.lat.push(ms);
    });
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpuAfter = opts.cpuPid === undefined ? undefined : processCpuMicros(opts.cpuPid);
  const own = process.cpuUsage(ownBefore);

  const sortedAll = all.sorted();
  const kinds: Record<string, KindStats> = {};
  for (const [kind, { lat, unexpected: bad }] of byKind) {
    const s = lat.sorted();
    kinds[kind] = { count: s.length, median: percentile(s, 50), p99: percentile(s, 99), unexpected: bad };
  }
  return {
    connections: opts.connections,
    seconds,
    requests: all.length,
    rps: all.length / seconds,
    median: percentile(sortedAll, 50),
    p99: percentile(sortedAll, 99),
    errors: result.errors + result.timeouts,
    unexpected,
    kinds,
    samples,
    ...(cpuBefore !== undefined && cpuAfter !== undefined && all.length > 0 ? { cpuMicrosPerRequest: (cpuAfter - cpuBefore) / all.length } : {}),
    ...(all.length > 0 ? { generatorCpuMicrosPerRequest: (own.user + own.system) / all.length } : {}),
  };
}
