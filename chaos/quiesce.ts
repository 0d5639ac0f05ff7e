import { sleep } from "@/fixtures";
import { providerLedger } from "@/fixtures/simulator-process";
import type { Services } from "./services";
import { readLocal } from "./truth";

/** What still has to happen before the checker's verdict is final; empty when everything drained. */
async function pending(services: Services): Promise<string[]> {
  const [ledger, deliveries, local] = await Promise.all([
    providerLedger(services.provider.url),
    fetch(`${services.provider.url}/_simulator/deliveries`).then((r) => r.json() as Promise<{ data: { event_id: string; status: number | null }[] }>),
    readLocal(services.database.url),
  ]);
  const delivered = new Set(deliveries.data.filter((a) => a.status !== null && a.status < 300).map((a) => a.event_id));
  const waiting: string[] = [];
  const undelivered = ledger.events.filter((e) => !delivered.has(e.id)).length;
  if (undelivered) waiting.push(`${undelivered} provider events not yet delivered`);
  const processing = local.payments.filter((p) => p.status === "processing").length;
  if (processing) waiting.push(`${processing} payments processing`);
  const refunding = local.refunds.filter((r) => r.status === "pending").length;
  if (refunding) waiting.push(`${refunding} refunds pending`);
  const unpublished = local.events.filter((e) => !e.published).length;
  if (unpublished) waiting.push(`${unpublished} events not yet published`);
  for (const consumer of local.consumers) {
    const behind = local.events.length - (local.inboxes.get(consumer)?.length ?? 0);
    if (behind) waiting.push(`${consumer} ${behind} events behind`);
  }
  return waiting;
}

export interface Drain {
  drained: boolean;
  ms: number;
  /** What was still pending when the wait gave up. */
  waiting: string[];
}

/**
 * Waits, by polling, for the completer, the reaper, the webhooks and the consumers to finish what
 * the run left: nothing pending twice in a row a second apart (a webhook in flight can start new
 * work after a quiet look), or `timeoutMs` gone.
 */
export async function quiesce(services: Services, timeoutMs: number, log: (line: string) => void = () => undefined): Promise<Drain> {
  const started = Date.now();
  let quiet = 0;
  let waiting: string[] = [];
  let said = started;
  while (Date.now() - started < timeoutMs) {
    waiting = await pending(services).catch((error: unknown) => [`could not look: ${String(error)}`]);
    quiet = waiting.length === 0 ? quiet + 1 : 0;
    if (waiting.length && Date.now() - said >= 5_000) {
      said = Date.now();
      log(`waiting for ${waiting.join("; ")}`);
    }
    if (quiet >= 2) return { drained: true, ms: Date.now() - started, waiting };
    await sleep(1_000);
  }
  return { drained: false, ms: Date.now() - started, waiting };
}
