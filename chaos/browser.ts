import { sleep, type MerchantName } from "@/fixtures";
import { created, type AttemptRecord, type Via } from "./history";
import { createPaymentViaTrpc, postJson, type Answer } from "./http";
import type { Random } from "./random";
import { raceRefunds } from "./refunds";
import { backoff, retryable } from "./retry";
import type { RunContext } from "./run-context";

const MERCHANTS: MerchantName[] = ["alice", "bob"];
const CURRENCIES = ["usd", "eur", "gbp", "jpy"] as const;

/** `Simulate-Failure` on a checkout's first request, by weight (none most of the time). */
function firstFault(random: Random): string | undefined {
  return random.weighted<() => string | undefined>([
    [() => undefined, 40],
    [() => "lost-response", 10],
    [() => "fail-before-commit", 8],
    [() => `delay=${random.int(200, 2_000)}`, 10],
    [() => "provider-timeout-after-charge", 10],
    [() => "provider-fail-before-charge", 8],
    // Past the server's provider timeout (1.2 s) now and then: a held answer becomes a timeout.
    [() => `provider-latency=${random.int(100, 2_500)}`, 14],
  ])();
}

/** A retry carries a fault less often, and never forever: each attempt converges to a final answer. */
function retryFault(random: Random, retry: number): string | undefined {
  return retry < 3 && random.chance(0.1) ? firstFault(random) : undefined;
}

/**
 * One simulated browser: checkout attempts one after another until the run stops starting them.
 * Each attempt has one key for all its requests; the first request may be doubled (a double click)
 * or dropped and resent (a reload); every retry backs off with jitter. A paid checkout sometimes
 * sets refunds at the API and at the provider, and a dispute, racing on the payment.
 */
export async function runBrowser(run: RunContext, client: number): Promise<void> {
  const random = run.random.fork(`browser-${client}`);
  for (let n = 0; Date.now() < run.stopAt; n++) {
    const attempt = await checkout(run, client, n, random);
    run.history.attempts.push(attempt);
    if (created(attempt.via, attempt.final) && attempt.id && random.chance(0.5)) {
      const paid = {
        id: attempt.id,
        amount: attempt.body.amount as number,
        merchant: attempt.merchant,
        key: attempt.key,
        providerPaymentId: attempt.providerPaymentId,
      };
      const race = raceRefunds(run, client, paid, random.fork(attempt.key)).finally(() => run.races.delete(race));
      run.races.add(race);
    }
    await sleep(random.int(0, 200));
  }
}

async function checkout(run: RunContext, client: number, n: number, random: Random): Promise<AttemptRecord & { providerPaymentId?: string }> {
  const merchant = random.pick(MERCHANTS);
  const via: Via = random.chance(0.35) ? "trpc" : "rest";
  const declined = random.chance(0.1);
  const body = {
    amount: random.int(100, 20_000),
    currency: random.pick(CURRENCIES),
    customer: declined ? "cus_declined" : `cus_${client}_${n}`,
    description: `chaos ${n}`,
  };
  const key = `chaos-${run.seed}-${client}-${n}`;
  const style = random.weighted([
    ["plain", 70],
    ["double", 15],
    ["reload", 15],
  ] as const);
  let requests = 0;

  const send = async (fault: string | undefined, signal?: AbortSignal): Promise<Answer> => {
    const prefer = random.chance(0.3) ? "wait=5" : undefined;
    const headers: Record<string, string> = {};
    if (fault) headers["simulate-failure"] = fault;
    if (prefer) headers.prefer = prefer;
    const at = Date.now();
    const message = { merchant, key, body, headers, signal };
    const answer = via === "rest" ? await postJson(run.appUrl, "/api/v1/payments", message) : await createPaymentViaTrpc(run.appUrl, message);
    requests++;
    const ok = created(via, answer.status);
    run.history.request({
      client,
      operation: "payment",
      via,
      merchant,
      key,
      body,
      fault,
      prefer,
      status: answer.status,
      id: ok && typeof answer.body?.id === "string" ? answer.body.id : undefined,
      amount: ok && typeof answer.body?.amount === "number" ? answer.body.amount : undefined,
      currency: ok && typeof answer.body?.currency === "string" ? answer.body.currency : undefined,
      replayed: answer.replayed,
      waited: answer.waited,
      at,
      ms: Date.now() - at,
    });
    return answer;
  };

  for (let retry = 0; ; retry++) {
    const fault = retry === 0 ? firstFault(random) : retryFault(random, retry);
    let answers: Answer[];
    if (retry === 0 && style === "reload") {
      // The page is reloaded while the request is out: the browser drops it and the new page resends the same attempt.
      const reload = new AbortController();
      const timer = setTimeout(() => reload.abort(), random.int(20, 600));
      answers = [await send(fault, reload.signal)];
      clearTimeout(timer);
    } else if (retry === 0 && style === "double") {
      answers = await Promise.all([send(fault), send(fault)]);
    } else {
      answers = [await send(fault)];
    }
    const final = answers.find((a) => !retryable(a.status));
    if (final) {
      const status = final.status as number;
      const id = created(via, status) && typeof final.body?.id === "string" ? final.body.id : undefined;
      const providerPaymentId = typeof final.body?.providerPaymentId === "string" ? final.body.providerPaymentId : undefined;
      return { client, operation: "payment", via, merchant, key, body, final: status, id, requests, providerPaymentId };
    }
    if (Date.now() > run.giveUpAt) return { client, operation: "payment", via, merchant, key, body, final: null, requests };
    await backoff(retry, answers[0]!, random);
  }
}
