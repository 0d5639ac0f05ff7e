import { clientFindings } from "./checks/clients";
import { eventFindings } from "./checks/events";
import type { Finding } from "./checks/finding";
import { LEDGER_CHECKS, ledgerFindings } from "./checks/ledger";
import { logFindings } from "./checks/logs";
import type { History } from "./history";
import type { ProcessLog } from "./services";
import type { Truth } from "./truth";

export type { Finding };

export interface CheckInput {
  truth: Truth;
  history: History;
  logs: ProcessLog[];
  /** Faults whose recovery failed, and what the drain was still waiting for: findings as they are. */
  incidents?: Finding[];
}

/** Every check, against the ground truth (the provider's ledger), the database and the clients' own histories. */
export function check({ truth, history, logs, incidents = [] }: CheckInput): Finding[] {
  return [...incidents, ...ledgerFindings(truth), ...clientFindings(history, truth.local), ...eventFindings(truth.local), ...logFindings(logs)];
}

/** Payments whose money disagrees with the provider's, however many ways. */
export function mismatchedPayments(findings: Finding[]): string[] {
  return [...new Set(findings.filter((f) => LEDGER_CHECKS.includes(f.check)).map((f) => f.subject))];
}
