import { sleep } from "@/fixtures";
import type { FaultKind } from "./options";
import type { Random } from "./random";
import type { Services } from "./services";

export type FaultCounts = Partial<Record<FaultKind, number>>;

export interface FaultLog {
  counts: FaultCounts;
  /** Recoveries that failed (a process that did not come back): findings of their own. */
  failures: string[];
}

/** One fault, and the recovery that follows it: whatever died is back when this returns. */
async function apply(kind: FaultKind, services: Services, random: Random): Promise<string> {
  switch (kind) {
    case "kill-app": {
      const instance = random.pick(services.instances);
      await instance.kill();
      await sleep(random.int(200, 1_000));
      await instance.start();
      return instance.name;
    }
    case "kill-relay":
    case "kill-consumer": {
      const candidates = services.workers.filter((w) => (kind === "kill-relay" ? w.name === "relay" : w.name !== "relay"));
      const worker = random.pick(candidates);
      await worker.kill();
      await sleep(random.int(200, 1_500));
      await worker.start();
      return worker.name;
    }
    case "restart-redis":
      await services.redis.stop();
      await sleep(random.int(200, 1_000));
      await services.redis.start();
      return "redis";
    case "restart-postgres":
      await services.database.restart();
      return "postgres";
    case "restart-nats":
      await services.nats.stop();
      await sleep(random.int(200, 1_500));
      await services.nats.start();
      return "nats";
  }
}

/**
 * Faults one after another until `stopAt`, cycling through `kinds` in a seeded order (shuffled anew
 * each cycle), spaced so that each kind comes up about twice in a run. Sequential, as a Jepsen
 * nemesis: each recovery is complete before the next fault. Counted by kind.
 */
export async function runFaults(services: Services, kinds: FaultKind[], random: Random, stopAt: number, log: (line: string) => void): Promise<FaultLog> {
  const counts: FaultCounts = {};
  const failures: string[] = [];
  if (kinds.length === 0) return { counts, failures };
  const spacing = Math.min(8_000, Math.max(1_500, (stopAt - Date.now()) / (kinds.length * 2 + 1)));
  let queue: FaultKind[] = [];
  let cycle = 0;
  for (let next = Date.now() + spacing; ; next += spacing) {
    await sleep(Math.max(0, next - Date.now()));
    if (Date.now() >= stopAt) break;
    if (queue.length === 0) {
      queue = shuffle([...kinds], random);
      // The slowest recovery (an instance booting) first in the first round, so a short run still gets every kind in.
      if (cycle++ === 0 && queue.includes("kill-app")) queue = ["kill-app", ...queue.filter((k) => k !== "kill-app")];
    }
    const kind = queue.shift()!;
    const started = Date.now();
    counts[kind] = (counts[kind] ?? 0) + 1;
    try {
      const target = await apply(kind, services, random);
      log(`${kind} ${target}: back in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    } catch (error) {
      failures.push(`${kind}: ${error instanceof Error ? error.message.slice(0, 500) : String(error)}`);
      log(`${kind}: did not recover: ${String(error).slice(0, 200)}`);
    }
    // A slow recovery (an instance booting) pushes the schedule on rather than bunching faults together.
    next = Math.max(next, Date.now() - spacing / 2);
  }
  return { counts, failures };
}

function shuffle<T>(items: T[], random: Random): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
