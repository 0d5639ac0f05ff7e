import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { Outcome } from "@oncepay/idempotency";

function create() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "oncepay_" });
  return {
    registry,
    requests: new Counter({
      name: "oncepay_idempotency_requests_total",
      help: "Idempotent requests by operation and outcome",
      labelNames: ["operation", "outcome"] as const,
      registers: [registry],
    }),
    duration: new Histogram({
      name: "oncepay_idempotency_request_duration_seconds",
      help: "Latency of idempotent requests by operation and outcome",
      labelNames: ["operation", "outcome"] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    jobRuns: new Counter({
      name: "oncepay_job_runs_total",
      help: "Runs of the scheduled jobs, by job and result (ok, failed)",
      labelNames: ["job", "result"] as const,
      registers: [registry],
    }),
    jobItems: new Counter({
      name: "oncepay_job_items_total",
      help: "What the scheduled jobs did, by job and kind: rows the cleanup deleted per table, payments and refunds the reaper settled, records the completer finished",
      labelNames: ["job", "kind"] as const,
      registers: [registry],
    }),
    fastPath: new Counter({
      name: "oncepay_idempotency_fast_path_total",
      help: "Redis fast-path lookups by result (hit, miss) and Redis failures (error)",
      labelNames: ["result"] as const,
      registers: [registry],
    }),
  };
}

// One registry per process, kept on globalThis: route bundles and dev reloads must not re-register.
const holder = globalThis as typeof globalThis & { __oncepayMetrics?: ReturnType<typeof create> };
export const metrics = (holder.__oncepayMetrics ??= create());

/**
 * The operations a metric may be labelled with: ours, and the provider event types we apply. A
 * webhook's operation is its event's `type`, which whoever signs the event chooses: each new value
 * would be a new time series, so anything else is counted as `other`.
 */
export const OPERATION_LABELS: ReadonlySet<string> = new Set([
  "payment.create",
  "refund.create",
  "payment.reap",
  "refund.reap",
  "event.consume",
  "webhook",
  "payment_intent.succeeded",
  "payment_intent.payment_failed",
  "charge.refunded",
  "charge.dispute.created",
]);

export function operationLabel(operation: string): string {
  return OPERATION_LABELS.has(operation) ? operation : "other";
}

export function recordOutcome(operation: string, outcome: Outcome, seconds: number): void {
  const label = operationLabel(operation);
  metrics.requests.inc({ operation: label, outcome });
  metrics.duration.observe({ operation: label, outcome }, seconds);
}

/** One run of a scheduled job. Job names are ours (a fixed list, consumers' names included), so labels stay bounded. */
export function recordJobRun(job: string, result: "ok" | "failed", counts: Record<string, number>): void {
  metrics.jobRuns.inc({ job, result });
  for (const [kind, n] of Object.entries(counts)) if (n > 0) metrics.jobItems.inc({ job, kind }, n);
}
