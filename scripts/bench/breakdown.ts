/**
 * Times each step of the checkout and release paths inside the runtime (see lab.ts):
 * a batch of `n` repetitions per request, timed from here, the request's own
 * overhead subtracted, the fastest of a few batches kept.
 */
import { processCpuMicros } from "./load.js";
import { SQL_STEPS, WORKER_STEPS, type LabStep } from "./steps.js";

export interface Breakdown {
  /** Microseconds per repetition of each step. */
  micros: Record<LabStep, number>;
  /** EXPLAIN QUERY PLAN of each statement on the checkout and release paths. */
  plans: Record<string, string[]>;
}

/**
 * The cost of one batch in µs: the CPU time the runtime's process spent on it when its
 * pid is known (immune to time stolen by other work on a shared machine), else wall time.
 */
async function timed(url: string, pid: number | undefined): Promise<number> {
  const cpu = pid === undefined ? undefined : processCpuMicros(pid);
  const t = process.hrtime.bigint();
  const res = await fetch(url);
  const text = await res.text();
  if (!res.ok) throw new Error(`${url} answered ${res.status}: ${text.slice(0, 300)}`);
  const cpuAfter = pid === undefined ? undefined : processCpuMicros(pid);
  return cpu !== undefined && cpuAfter !== undefined ? cpuAfter - cpu : Number(process.hrtime.bigint() - t) / 1e3;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
export async function measureBreakdown(url: string, opts: { n: number; batches: number; pid?: number }): Promise<Breakdown> {
  const lab = `${url}/__bench/lab`;
  const n = opts.n;
  const micros = {} as Record<LabStep, number>;
  const samples = new Map<LabStep, number[]>();
  const record = (step: LabStep, us: number, overhead: number) => {
    const list = samples.get(step) ?? [];
    list.push(Math.max(0, us - overhead) / n);
    samples.set(step, list);
  };
  // warm every path once, so the JIT has seen it
  for (const step of [...WORKER_STEPS, ...SQL_STEPS]) {
    if (step === "sql-end-session" || step === "sql-release") await timed(`${lab}/prepare/20`, opts.pid);
    await timed(`${lab}/${step}/20`, opts.pid);
  }
  for (let b = 0; b < opts.batches; b++) {
    const overhead = median([await timed(`${lab}/validate/0`, opts.pid), await timed(`${lab}/validate/0`, opts.pid), await timed(`${lab}/sql-transaction/0`, opts.pid)]);
    for (const step of [...WORKER_STEPS, ...SQL_STEPS]) {
      if (step === "sql-end-session" || step === "sql-release") await timed(`${lab}/prepare/${n}`, opts.pid);
      record(step, await timed(`${lab}/${step}/${n}`, opts.pid), overhead);
    }
  }
  // The least disturbed batch is the best estimate of a step's own cost on a shared machine.
  for (const [step, list] of samples) micros[step] = Math.min(...list);
  const plans = (await (await fetch(`${lab}/plans/0`)).json()) as Record<string, string[]>;
  return { micros, plans };
}
