import { readdirSync, readFileSync } from "node:fs";

/** CPU seconds (user + system) spent so far by one process, or by every process of a name. */
export type CpuTarget = { pid: number } | { name: string };

const TICKS_PER_SECOND = 100; // USER_HZ, 100 on every Linux we run on

function stat(pid: string): { name: string; seconds: number } | null {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, "utf8");
    const name = raw.slice(raw.indexOf("(") + 1, raw.lastIndexOf(")"));
    const fields = raw.slice(raw.lastIndexOf(")") + 2).split(" ");
    return { name, seconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND };
  } catch {
    return null; // gone, or no /proc (not Linux): the report then shows no CPU split
  }
}

/** CPU seconds so far of each process of `target`, by pid (empty without /proc). */
export function cpuSeconds(target: CpuTarget): Map<string, number> {
  const out = new Map<string, number>();
  if ("pid" in target) {
    const s = stat(String(target.pid));
    if (s) out.set(String(target.pid), s.seconds);
    return out;
  }
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  } catch {
    return out;
  }
  for (const pid of pids) {
    const s = stat(pid);
    if (s?.name.startsWith(target.name)) out.set(pid, s.seconds);
  }
  return out;
}

/**
 * Measures what `fn` costs each target in CPU, as microseconds per `units()` (e.g. requests).
 * Per process: one that exits meanwhile (an idle pool connection closing) drops out rather than
 * taking its earlier CPU with it.
 */
export async function cpuPerUnit<T>(
  targets: Record<string, CpuTarget>,
  fn: () => Promise<T>,
  units: (result: T) => number,
): Promise<{ result: T; cpuUsPerRequest: Record<string, number> | null }> {
  const before = new Map(Object.entries(targets).map(([k, t]) => [k, cpuSeconds(t)]));
  const result = await fn();
  const n = Math.max(1, units(result));
  const split: Record<string, number> = {};
  for (const [k, t] of Object.entries(targets)) {
    const start = before.get(k) ?? new Map<string, number>();
    const after = cpuSeconds(t);
    if (after.size === 0) return { result, cpuUsPerRequest: null };
    let seconds = 0;
    for (const [pid, s] of after) seconds += s - (start.get(pid) ?? 0);
    split[k] = Math.round((seconds / n) * 1e6);
  }
  return { result, cpuUsPerRequest: split };
}
