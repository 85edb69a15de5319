/**
 * The bench's own Worker: the production service unchanged, plus what only the bench
 * needs. `/__bench/noop` is the ceiling (the cheapest Worker → Durable Object RPC
 * round trip this runtime can do), `/__bench/write` the same with one committed row;
 * `/__bench/probe/{poolId}` reads a pool object's database size, `/__bench/meter/{poolId}` its rows
 * written and read; `/__bench/lab/…`
 * times single steps (lab.ts). Nothing here is deployed: wrangler.toml never sees this file.
 */
import service, { LicencePool as ProductionLicencePool, PoolDirectory } from "../../src/worker/index.js";
import { Ceiling } from "./ceiling.js";
import { runWorkerStep, SqlLab, type BenchEnv, type LabStep } from "./lab.js";

export { Ceiling, PoolDirectory, SqlLab };

/** The production pool object with one read-only probe added; every other method is inherited. */
export class LicencePool extends ProductionLicencePool {
  benchProbe(): { databaseSize: number; inUse: number | null } {
    return { databaseSize: this.ctx.storage.sql.databaseSize, inUse: this.audit()?.inUse ?? null };
  }
}

const NOOP = "/__bench/noop";
const WRITE = "/__bench/write";
const PROBE = "/__bench/probe/";
const LAB = "/__bench/lab/";
const METER = "/__bench/meter/";

export default {
  async fetch(request: Request, env: BenchEnv, ctx: ExecutionContext): Promise<Response> {
    const url = request.url;
    const at = url.indexOf("/__bench/");
    if (at < 0) return service.fetch(request, env, ctx);
    const path = url.slice(at);
    if (path === NOOP) {
      const n = await env.CEILING.get(env.CEILING.idFromName("ceiling")).noop();
      return Response.json({ ok: n === 1 });
    }
    if (path === WRITE || path.startsWith(`${WRITE}/`)) {
      // `/__bench/write/{k}` writes to object k, to compare one object with many.
      const n = await env.CEILING.get(env.CEILING.idFromName(`ceiling-write${path.slice(WRITE.length)}`)).write();
      return Response.json({ ok: n === 1 });
    }
    if (path.startsWith(PROBE)) {
      const poolId = path.slice(PROBE.length);
      const pool = env.POOL.get(env.POOL.idFromName(poolId)) as unknown as DurableObjectStub<LicencePool>;
      return Response.json(await pool.benchProbe());
    }
    if (path.startsWith(METER)) {
      const pool = env.POOL.get(env.POOL.idFromName(path.slice(METER.length)));
      return Response.json(await pool.meter());
    }
    if (path.startsWith(LAB)) {
      const [step, count, concurrency] = path.slice(LAB.length).split("/");
      const n = Number(count);
      const lab = env.SQL_LAB.get(env.SQL_LAB.idFromName("lab"));
      if (step === "plans") return Response.json(await lab.plans());
      if (step === "prepare") return Response.json({ open: await lab.prepare(n) });
      return Response.json({ ran: await runWorkerStep(step as LabStep, n, env, ctx, service, Number(concurrency ?? 1)) });
    }
    return new Response("not found", { status: 404 });
  },
} satisfies ExportedHandler<BenchEnv>;
