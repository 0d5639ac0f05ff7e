import { newKey, type MerchantName } from "@/fixtures";
import type { ApiClient } from "./api";
import type { WorkerProcess } from "@/fixtures/worker-process";

const MERCHANTS: MerchantName[] = ["alice", "bob"];
const CURRENCIES = ["usd", "eur"];

/** Payments over real HTTP, `concurrency` at a time, every `refundEvery`-th refunded in part; what succeeded. */
export async function payAndRefund(api: ApiClient, options: { payments: number; refundEvery: number; concurrency: number }) {
  let next = 0;
  const tally = { payments: 0, refunds: 0 };
  const one = async (i: number) => {
    const merchant = MERCHANTS[i % MERCHANTS.length]!;
    const paid = await api.pay({ amount: 500 + (i % 37) * 10, currency: CURRENCIES[i % CURRENCIES.length] }, { merchant });
    if (paid.status !== 201) throw new Error(`payment ${i}: ${paid.status} ${paid.text}`);
    tally.payments++;
    if (i % options.refundEvery !== 0) return;
    const refund = await api.request("/api/v1/refunds", {
      method: "POST",
      merchant,
      headers: { "content-type": "application/json", "idempotency-key": newKey() },
      body: JSON.stringify({ payment: paid.body.id, amount: 100 }),
    });
    if (refund.status !== 201) throw new Error(`refund ${i}: ${refund.status} ${refund.text}`);
    tally.refunds++;
  };
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      for (let i = next++; i < options.payments; i = next++) await one(i);
    }),
  );
  return tally;
}

/**
 * kill -9 the workers in turns, each replaced at once by a new process, until `done` settles and
 * each was killed `atLeast` times (the last ones while the consumers catch up); a worker dies with
 * a batch or a message in hand. Returns how many kills each name took.
 */
export async function killInTurns(workers: WorkerProcess[], restart: (names: string[]) => WorkerProcess, done: Promise<unknown>, everyMs: number, atLeast = 2) {
  let finished = false;
  void done.finally(() => (finished = true)).catch(() => undefined);
  const kills: Record<string, number> = {};
  const enough = () => finished && workers.every((w) => (kills[w.names.join("+")] ?? 0) >= atLeast);
  for (let turn = 0; !enough(); turn++) {
    const pause = new Promise((resolve) => setTimeout(resolve, everyMs));
    // During the load, the next kill may come early if the load ends; after it, at the pace set.
    await (finished ? pause : Promise.race([pause, done.catch(() => undefined)]));
    const at = turn % workers.length;
    const victim = workers[at]!;
    await victim.kill();
    const name = victim.names.join("+");
    kills[name] = (kills[name] ?? 0) + 1;
    workers[at] = restart(victim.names);
  }
  return kills;
}
