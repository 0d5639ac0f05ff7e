import type { Logger } from "pino";
import type { Env } from "../env";
import type { EngineOptions } from "@oncepay/idempotency";

/**
 * The tests' crash hook: with FAULT_INJECTION and ONCEPAY_CRASH_AT=<point> (or before:<point>), the
 * process kills itself with SIGKILL right after that recovery point commits (or just before), as a
 * machine that dies there would: nothing is flushed, nothing is released.
 */
export function crashHook(config: Env, log: Logger): EngineOptions["onRecoveryPoint"] {
  const at = config.FAULT_INJECTION ? config.ONCEPAY_CRASH_AT : undefined;
  if (!at) return undefined;
  return (point, stage) => {
    if (at !== (stage === "reached" ? `before:${point}` : point)) return;
    log.warn({ point, stage }, "ONCEPAY_CRASH_AT: killing the process");
    process.kill(process.pid, "SIGKILL");
  };
}

/**
 * The same for the event path: ONCEPAY_CRASH_AT=consumer_committed kills a JetStream consumer's
 * process after a batch commits and before its messages are acknowledged, the window in which the
 * broker will deliver the whole batch again.
 */
export function consumerCrashHook(config: Env, log: Logger): (() => void) | undefined {
  if (!config.FAULT_INJECTION || config.ONCEPAY_CRASH_AT !== CONSUMER_COMMITTED) return undefined;
  return () => {
    log.warn({ point: CONSUMER_COMMITTED }, "ONCEPAY_CRASH_AT: killing the process");
    process.kill(process.pid, "SIGKILL");
  };
}

const CONSUMER_COMMITTED = "consumer_committed";
