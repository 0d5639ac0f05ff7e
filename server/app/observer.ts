import type { Logger } from "pino";
import type { CallObservation } from "@oncepay/idempotency";
import { keyDigest } from "../observability/key-digest";
import { recordOutcome } from "../observability/metrics";
import type { RequestLogWriter } from "../observability/request-log";

/** Where each call's one observation goes: Prometheus, the dashboard's history, and one log line. */
export function callObserver(requestLog: RequestLogWriter, log: Logger): (o: CallObservation) => void {
  return (o) => {
    recordOutcome(o.operation, o.outcome, o.latencyMs / 1000);
    requestLog.add(o);
    // The line, and the key's digest (a SHA-256), only for a level that is written.
    if (!log.isLevelEnabled(o.unexpected ? "error" : "info")) return;
    const line = {
      via: o.via,
      requestId: o.requestId,
      merchant: o.scope,
      keyDigest: keyDigest(o.key),
      operation: o.operation,
      outcome: o.outcome,
      status: o.status,
      resumedFrom: o.resumedFrom,
      durationMs: Math.round(o.latencyMs * 10) / 10,
    };
    if (o.unexpected) log.error({ ...line, err: o.unexpected }, "call failed");
    else log.info(line, "call");
  };
}
