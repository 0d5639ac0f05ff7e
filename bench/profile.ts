import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileLine {
  what: string;
  /** Self time, in µs per unit (a payment, say). */
  us: number;
  share: string;
}

/** Where a frame's code lives: a package of node_modules, the app's own file, or node itself. */
function home(url: string): string {
  if (!url) return "(native)";
  const modules = url.lastIndexOf("node_modules/");
  if (modules >= 0) {
    const rest = url.slice(modules + "node_modules/".length).split("/");
    return rest[0]!.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith("node:")) return url;
  return path.basename(url);
}

/**
 * The V8 CPU profiles (`--cpu-prof`) in `dir`, summed: self time by function (and by where the
 * code lives), per `units`, the top `top` of each.
 */
export function summarizeProfiles(dir: string, units: number, top = 25): { byFunction: ProfileLine[]; byHome: ProfileLine[]; totalUs: number } {
  const byFunction = new Map<string, number>();
  const byHome = new Map<string, number>();
  let total = 0;
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"))) {
    const profile = JSON.parse(readFileSync(path.join(dir, file), "utf8")) as CpuProfile;
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
    profile.samples.forEach((id, i) => {
      const node = nodes.get(id);
      const delta = profile.timeDeltas[i] ?? 0;
      if (!node || node.callFrame.functionName === "(idle)") return;
      const { functionName, url, lineNumber } = node.callFrame;
      const where = home(url);
      const name = `${functionName || "(anonymous)"} ${where}${url ? `:${lineNumber + 1}` : ""}`;
      byFunction.set(name, (byFunction.get(name) ?? 0) + delta);
      byHome.set(where, (byHome.get(where) ?? 0) + delta);
      total += delta;
    });
  }
  const lines = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([what, us]) => ({ what, us: Math.round(us / units), share: `${((us / total) * 100).toFixed(1)}%` }));
  return { byFunction: lines(byFunction), byHome: lines(byHome), totalUs: Math.round(total / units) };
}
