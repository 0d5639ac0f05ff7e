import pg from "pg";
import { describe, expect, it } from "vitest";
import { newKey, poll } from "@/fixtures";
import { STACK_KINDS, useOwnStack } from "@/tests/support/own-stack";
import { intentsFor } from "@/tests/support/provider-ledger";
import { trpcClient } from "@/tests/support/trpc";

// Everything short: records kept 2 s past completion, history and events 2.6 s, a cleanup every half
// second in batches of 5 rows; the outbox's safe point passes events a second old. The completer and
// the reaper are off, so a record left past a recovery point stays unsettled.
const RETENTION_DAYS = String(3 / 86_400);
const SETTINGS = {
  IDEMPOTENCY_TTL_SECONDS: "2",
  IDEMPOTENCY_LOCK_TIMEOUT_SECONDS: "1",
  PROCESSING_TIMEOUT_SECONDS: "1",
  REQUEST_LOG_RETENTION_DAYS: RETENTION_DAYS,
  EVENTS_RETENTION_DAYS: RETENTION_DAYS,
  CLEANUP_INTERVAL_SECONDS: "0.5",
  CLEANUP_BATCH: "5",
  EVENTS_GRACE_SECONDS: "4",
  EVENTS_POLL_MS: "100",
  COMPLETER_INTERVAL_SECONDS: "3600",
  REAPER_INTERVAL_SECONDS: "3600",
  JOBS_LEASE_SECONDS: "1",
};

/** Counter samples of /api/metrics, by their labels. */
async function metric(base: string, name: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${base}/api/metrics`)).text();
  const found = new Map<string, number>();
  for (const line of text.split("\n"))
    if (line.startsWith(`${name}{`)) found.set(line.slice(name.length, line.lastIndexOf(" ")), Number(line.split(" ").pop()));
  return found;
}

/**
 * Retention (contract: "Retention"): the scheduled cleanup deletes completed records past their
 * TTL, request history, webhook events and consumer inbox rows past theirs, in bounded batches,
 * and counts them in metrics and on the dashboard; a record stopped past a recovery point stays, and
 * an event whose inbox row is gone is still dropped as a copy.
 */
describe.each(STACK_KINDS)("the cleanup (%s)", (kind) => {
  const stack = useOwnStack({ kind, webhooks: true, serverEnv: SETTINGS });

  it("deletes what is past its retention, batch by batch, counting it; keeps what is unsettled", async () => {
    const trpc = trpcClient(stack.server.url, { merchant: null });
    const payments = await Promise.all(Array.from({ length: 12 }, (_, i) => stack.api.pay({ amount: 300 + i, currency: "usd" }, { key: newKey() })));
    expect(payments.map((p) => p.status)).toEqual(Array(12).fill(201));
    const refund = await stack.api.request("/api/v1/refunds", {
      method: "POST",
      headers: { "content-type": "application/json", "idempotency-key": newKey() },
      body: JSON.stringify({ payment: payments[0]!.body.id, amount: 100 }),
    });
    expect(refund.status).toBe(201);
    // A charge whose answer was lost, nobody to finish it: its record must outlive its TTL.
    const unsettledKey = newKey();
    expect(
      (await stack.api.pay({ amount: 999, currency: "usd" }, { key: unsettledKey, headers: { "simulate-failure": "provider-timeout-after-charge" } })).status,
    ).toBe(504);

    let last: Record<string, number> = {};
    const totals = async () => (last = (await trpc.dashboard.jobs.query()).find((j) => j.name === "cleanup")?.totals ?? {});
    // 12 payments, a refund and their webhooks: far more records than one batch. (Consumers claim no
    // records: their inboxes decide.)
    const done = await poll(
      async () => {
        const t = await totals();
        return (t.idempotency_records ?? 0) >= 26 && (t.request_log ?? 0) >= 13 && (t.webhook_events ?? 0) >= 13 && (t.consumer_inbox ?? 0) >= 26 && t;
      },
      { timeoutMs: 45_000, intervalMs: 500, message: () => `the cleanup never got through: ${JSON.stringify(last)}` },
    );
    console.log(`cleanup (${kind}): ${JSON.stringify(done)}`);
    const counted = await metric(stack.server.url, "oncepay_job_items_total");
    expect(counted.get('{job="cleanup",kind="idempotency_records"}')).toBeGreaterThan(0);

    if (kind === "postgres") {
      const client = new pg.Client({ connectionString: stack.database.url });
      await client.connect();
      try {
        const { rows } = await client.query<{ key: string; state: string }>("SELECT key, state FROM idempotency_records WHERE expires_at <= now()");
        // Past retention, only the unsettled one is left.
        expect(rows).toEqual([{ key: unsettledKey, state: "released" }]);
        for (const table of ["request_log", "webhook_events"]) {
          const { rows: old } = await client.query(
            `SELECT 1 FROM ${table} WHERE ${table === "request_log" ? "at" : "received_at"} < now() - interval '4 seconds'`,
          );
          expect(old, table).toHaveLength(0);
        }
      } finally {
        await client.end();
      }
    }
    // The unsettled one finishes on its retry, under its own provider key: one PaymentIntent.
    const retry = await stack.api.pay({ amount: 999, currency: "usd" }, { key: unsettledKey });
    expect(retry.status).toBe(201);
    expect(await intentsFor(stack.provider.url, retry.body.id as string)).toHaveLength(1);
  });

  it("an event replayed after its record and inbox row are gone is still dropped as a copy", async () => {
    const trpc = trpcClient(stack.server.url, { merchant: null });
    const before = await trpc.events.summary.query();
    const replayed = await trpc.events.replay.mutate({ from: 0 });
    expect(replayed.events).toBeGreaterThan(0);
    const after = await poll(
      async () => {
        const now = await trpc.events.summary.query();
        return now.consumers.every((c, i) => c.duplicates >= before.consumers[i]!.duplicates + replayed.events) && now;
      },
      { timeoutMs: 20_000, intervalMs: 200, message: "the replayed copies were never dropped" },
    );
    for (const [i, consumer] of after.consumers.entries()) expect(consumer.applied, consumer.name).toBe(before.consumers[i]!.applied);
  });
});
