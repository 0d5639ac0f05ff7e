import { recordOutcome } from "./metrics";
import { logRequest, type RequestLogEntry } from "./request-log";

/** Everything an idempotent request leaves behind: Prometheus counters and the dashboard's history. */
export function observe(entry: RequestLogEntry): void {
  recordOutcome(entry.operation, entry.outcome, entry.latencyMs / 1000);
  logRequest(entry);
}
