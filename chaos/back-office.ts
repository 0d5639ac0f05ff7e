import { sleep } from "@/fixtures";
import type { Random } from "./random";
import { openDispute, refundAtProvider } from "./refunds";
import type { RunContext } from "./run-context";

/**
 * The merchant's back office, working in the provider's own dashboard: now and then it takes one of
 * the newest succeeded PaymentIntents and refunds part of it or opens a dispute. It sees a charge as
 * soon as the provider made it, so it often acts before Oncepay has stored the PaymentIntent's id
 * (a held or lost answer): the refunds and disputes whose webhooks arrive "too early".
 */
export async function runBackOffice(run: RunContext, random: Random): Promise<void> {
  const acted = new Set<string>();
  while (Date.now() < run.stopAt) {
    await sleep(random.int(150, 600));
    const newest = await run.stripe.paymentIntents.list({ limit: 10 }).catch(() => undefined);
    const fresh = (newest?.data ?? []).filter((i) => i.status === "succeeded" && !acted.has(i.id) && i.metadata.oncepay_payment);
    if (fresh.length === 0) continue;
    // The newest most often: the one whose answer Oncepay is most likely still waiting for.
    const intent = random.chance(0.5) ? fresh[0]! : random.pick(fresh);
    acted.add(intent.id);
    const paymentId = intent.metadata.oncepay_payment!;
    const amount = random.int(1, Math.max(1, Math.floor(intent.amount * 0.6)));
    const action = random.chance(0.6)
      ? await refundAtProvider(run.stripe, paymentId, intent.id, amount)
      : await openDispute(run.providerUrl, paymentId, intent.id, amount);
    run.history.providerActions.push({ ...action, by: "back-office" });
  }
}
