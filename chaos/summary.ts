import { mismatchedPayments, type Finding } from "./checker";
import type { FaultCounts } from "./faults";
import { created, type History } from "./history";
import type { ChaosOptions } from "./options";
import type { Truth } from "./truth";

export interface Summary {
  seed: number;
  instances: number;
  clients: number;
  checkouts: number;
  payments: { succeeded: number; failed: number };
  declines: number;
  /** Accepted refunds: through the API, at the provider (clients and back office), of which from the back office. */
  refunds: { api: number; atProvider: number; backOffice: number };
  disputes: number;
  faults: FaultCounts;
  /** Simulate-Failure modes the clients sent, by mode. */
  faultHeaders: Record<string, number>;
  /** Requests sent with `Prefer: wait=5`, and answers that said they waited (`Preference-Applied`). */
  prefer: { sent: number; applied: number };
  /** Requests the balancer answered 502 itself (the instance was down). */
  badGateways: number;
  /** Every status any client saw, with how often ("network", "timeout" and "dropped" for no answer). */
  statuses: Record<string, number>;
  chargedTwice: number;
  ledgerEqualsProvider: boolean;
  mismatchedPayments: number;
  processingLeft: number;
  pendingLeft: number;
  /** Provider events recorded but not applied, by the reason noted. */
  unappliedWebhooks: Record<string, number>;
  /** The scheduled jobs that ran throughout: runs, and what they did. */
  jobs: Record<string, { runs: number; totals: Record<string, number> }>;
  findings: Record<string, number>;
  seconds: { setup: number; run: number; quiesce: number; total: number };
  drained: boolean;
}

export function summarize(input: {
  options: ChaosOptions;
  history: History;
  truth: Truth;
  findings: Finding[];
  faults: FaultCounts;
  badGateways: number;
  drained: boolean;
  seconds: Summary["seconds"];
}): Summary {
  const { options, history, truth, findings } = input;
  const checkouts = history.attempts.filter((a) => a.operation === "payment");
  const statuses: Record<string, number> = {};
  for (const r of history.requests) statuses[String(r.status)] = (statuses[String(r.status)] ?? 0) + 1;
  const count = (check: string) => findings.filter((f) => f.check === check).length;
  const mismatched = mismatchedPayments(findings).length;
  const byCheck: Record<string, number> = {};
  for (const f of findings) byCheck[f.check] = (byCheck[f.check] ?? 0) + 1;
  return {
    seed: options.seed,
    instances: options.instances,
    clients: options.clients,
    checkouts: checkouts.length,
    payments: {
      succeeded: truth.local.payments.filter((p) => p.status === "succeeded").length,
      failed: truth.local.payments.filter((p) => p.status === "failed").length,
    },
    declines: checkouts.filter((a) => a.final === 402).length,
    refunds: {
      api: history.attempts.filter((a) => a.operation === "refund" && created(a.via, a.final)).length,
      atProvider: history.providerActions.filter((a) => a.kind === "refund" && a.id).length,
      backOffice: history.providerActions.filter((a) => a.kind === "refund" && a.id && a.by === "back-office").length,
    },
    disputes: history.providerActions.filter((a) => a.kind === "dispute" && a.id).length,
    faults: input.faults,
    faultHeaders: history.faultHeaders,
    prefer: { sent: history.requests.filter((r) => r.prefer).length, applied: history.requests.filter((r) => r.waited).length },
    badGateways: input.badGateways,
    statuses,
    chargedTwice: count("charged-twice"),
    ledgerEqualsProvider: mismatched === 0,
    mismatchedPayments: mismatched,
    processingLeft: count("processing-left"),
    pendingLeft: count("pending-left"),
    unappliedWebhooks: truth.local.unappliedWebhooks,
    jobs: truth.local.jobs,
    findings: byCheck,
    seconds: input.seconds,
    drained: input.drained,
  };
}

const list = (counts: Record<string, number | undefined>) =>
  Object.entries(counts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k} ${v}`)
    .join(", ") || "none";

/** The table a person reads. */
export function summaryTable(s: Summary): string {
  const rows: [string, string][] = [
    ["seed", String(s.seed)],
    ["instances / clients", `${s.instances} / ${s.clients}`],
    ["checkouts", String(s.checkouts)],
    ["payments", `${s.payments.succeeded} succeeded, ${s.payments.failed} failed`],
    ["declines", String(s.declines)],
    ["refunds", `${s.refunds.api} through the API, ${s.refunds.atProvider} at the provider (${s.refunds.backOffice} of them from the back office)`],
    ["disputes", String(s.disputes)],
    ["faults applied", list(s.faults)],
    ["Simulate-Failure sent", list(s.faultHeaders)],
    ["Prefer: wait=5", `${s.prefer.sent} sent, ${s.prefer.applied} waited`],
    ["balancer 502s", String(s.badGateways)],
    ["statuses seen", list(s.statuses)],
    ["charged twice", String(s.chargedTwice)],
    ["ledger = provider", s.ledgerEqualsProvider ? "yes" : `no (${s.mismatchedPayments} payments differ)`],
    ["processing / pending left", `${s.processingLeft} / ${s.pendingLeft}`],
    ["webhooks not applied", list(s.unappliedWebhooks)],
    ...["completer", "reaper", "cleanup"].map((name): [string, string] => [
      name,
      s.jobs[name] ? `${s.jobs[name].runs} runs; ${list(s.jobs[name].totals)}` : "never ran",
    ]),
    ["drained", s.drained ? "yes" : "no"],
    ["findings", list(s.findings)],
    ["duration", `setup ${s.seconds.setup} s, run ${s.seconds.run} s, quiesce ${s.seconds.quiesce} s, total ${s.seconds.total} s`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join("\n");
}

/** Each finding, grouped by check; past `perCheck` a check says how many more it has. */
export function findingLines(findings: Finding[], perCheck = 50): string[] {
  const groups = new Map<string, Finding[]>();
  for (const f of findings) groups.set(f.check, [...(groups.get(f.check) ?? []), f]);
  return [...groups].flatMap(([check, list]) => [
    ...list.slice(0, perCheck).map((f) => `${check}  ${f.subject}: ${f.detail}`),
    ...(list.length > perCheck ? [`${check}  … and ${list.length - perCheck} more`] : []),
  ]);
}
