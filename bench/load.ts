import autocannon from "autocannon";
import { cpuPerUnit, type CpuTarget } from "./cpu";

export interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Responses that were not 2xx, plus socket errors and timeouts: 0 in a healthy run. */
  failures: number;
  /** CPU spent per request by the server, by PostgreSQL and by the provider simulator (Linux only): where the time goes. */
  cpuUsPerRequest: Record<string, number> | null;
}

export interface LoadSettings {
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
}

function run(settings: LoadSettings, options: autocannon.Options, duration: number) {
  return autocannon({ connections: settings.connections, duration, ...options });
}

/** Unmeasured load for the warm-up time: JIT, pools, caches. */
export async function warm(settings: LoadSettings, options: autocannon.Options): Promise<void> {
  await run(settings, options, settings.warmupSeconds);
}

/** autocannon over loopback: a warm-up, then the measured run. */
export async function load(settings: LoadSettings, options: autocannon.Options, cpu: Record<string, CpuTarget>): Promise<LoadResult> {
  await warm(settings, options);
  const { result, cpuUsPerRequest } = await cpuPerUnit(
    cpu,
    () => run(settings, options, settings.durationSeconds),
    (r) => r.requests.total,
  );
  return {
    requestsPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    failures: result.non2xx + result.errors + result.timeouts,
    cpuUsPerRequest,
  };
}
