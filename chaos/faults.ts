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

/** What one fault hit, and its recovery: done when `apply` returns, or still under way (an instance booting). */
interface Applied {
  target: string;
  recovery: Promise<void>;
}

async function apply(kind: FaultKind, services: Services, random: Random): Promise<Applied> {
  const done = Promise.resolve();
  switch (kind) {
    case "kill-app": {
      const instance = random.pick(services.instances);
      await instance.kill();
      const pause = random.int(200, 1_000);
      // `next start` takes seconds to boot on two busy cores: the schedule goes on meanwhile.
      return { target: instance.name, recovery: sleep(pause).then(() => instance.start()) };
    }
    case "kill-relay":
    case "kill-consumer": {
      const candidates = services.workers.filter((w) => (kind === "kill-relay" ? w.name === "relay" : w.name !== "relay"));
      const worker = random.pick(candidates);
      await worker.kill();
      await sleep(random.int(200, 1_500));
      await worker.start();
      return { target: worker.name, recovery: done };
    }
    case "restart-redis":
      await services.redis.stop();
      await sleep(random.int(200, 1_000));
      await services.redis.start();
      return { target: "redis", recovery: done };
    case "restart-postgres":
      await services.database.restart();
      return { target: "postgres", recovery: done };
    case "restart-nats":
      await services.nats.stop();
      await sleep(random.int(200, 1_500));
      await services.nats.start();
      return { target: "nats", recovery: done };
  }
}

/**
 * Faults one after another until `stopAt`, cycling through `kinds` in a seeded order (shuffled anew
 * each cycle), spaced so that each kind comes up about twice in a run. Each fault is recovered
 * before the next, except an instance's boot, which overlaps the next faults (never another
 * kill-app). When this returns, everything is back. Counted by kind.
 */
export async function runFaults(services: Services, kinds: FaultKind[], random: Random, stopAt: number, log: (line: string) => void): Promise<FaultLog> {
  const counts: FaultCounts = {};
  const failures: string[] = [];
  if (kinds.length === 0) return { counts, failures };
  const spacing = Math.min(8_000, Math.max(1_500, (stopAt - Date.now()) / (kinds.length * 2 + 1)));
  const failed = (kind: FaultKind) => (error: unknown) => {
    failures.push(`${kind}: ${error instanceof Error ? error.message.slice(0, 500) : String(error)}`);
    log(`${kind}: did not recover: ${String(error).slice(0, 200)}`);
  };
  let booting: Promise<void> = Promise.resolve();
  let queue: FaultKind[] = [];
  let cycle = 0;
  for (let next = Date.now() + spacing; ; next += spacing) {
    await sleep(Math.max(0, next - Date.now()));
    if (Date.now() >= stopAt) break;
    if (queue.length === 0) {
      queue = shuffle([...kinds], random);
      // The slowest recovery (an instance booting) first in the first round, so a short run still sees it end.
      if (cycle++ === 0 && queue.includes("kill-app")) queue = ["kill-app", ...queue.filter((k) => k !== "kill-app")];
    }
    const kind = queue.shift()!;
    if (kind === "kill-app") await booting;
    counts[kind] = (counts[kind] ?? 0) + 1;
    const started = Date.now();
    try {
      const { target, recovery } = await apply(kind, services, random);
      const back = recovery.then(() => log(`${kind} ${target}: back in ${((Date.now() - started) / 1000).toFixed(1)} s`), failed(kind));
      if (kind === "kill-app") booting = back;
      else await back;
    } catch (error) {
      failed(kind)(error);
    }
    // A slow recovery pushes the schedule on rather than bunching faults together.
    next = Math.max(next, Date.now() - spacing / 2);
  }
  await booting;
  return { counts, failures };
}

function shuffle<T>(items: T[], random: Random): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
