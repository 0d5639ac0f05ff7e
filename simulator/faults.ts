import { invalidRequest } from "./errors";

/**
 * What a request asks the simulator to get wrong (header `Simulate-Failure`, or PROVIDER_FAULT for
 * requests without one). The point is to reproduce the failures that make exactly-once hard: a
 * charge whose answer never arrives, a failure before anything happened, a slow provider.
 */
export type Fault =
  | { kind: "none" }
  /** Execute and commit, then drop the connection: the client cannot tell whether it was charged. */
  | { kind: "timeout-after-charge" }
  /** 500 before anything is executed or claimed: a retry with the same key executes afresh. */
  | { kind: "fail-before-charge" }
  /** Hold the claimed key this long before executing, so duplicates arrive while it is in use. */
  | { kind: "latency"; ms: number }
  /**
   * Execute and commit at once, then hold the answer this long: the change (and its webhook) is out
   * while the client still waits, the window in which a webhook overtakes the API call that caused it.
   */
  | { kind: "answer-latency"; ms: number };

export const NO_FAULT: Fault = { kind: "none" };
export const MAX_LATENCY_MS = 60_000;

/** Parses a fault spec; throws a 400-shaped ProviderError for anything it does not know. */
export function parseFault(spec: string | undefined): Fault {
  const value = spec?.trim();
  if (!value) return NO_FAULT;
  if (value === "timeout-after-charge" || value === "fail-before-charge") return { kind: value };
  const latency = /^(latency|answer-latency)=(\d{1,5})$/.exec(value);
  if (latency) {
    const ms = Number(latency[2]);
    if (ms <= MAX_LATENCY_MS) return { kind: latency[1] === "latency" ? "latency" : "answer-latency", ms };
  }
  throw invalidRequest(
    `Unknown Simulate-Failure mode '${value}': use timeout-after-charge, fail-before-charge, latency=<0..${MAX_LATENCY_MS}> or answer-latency=<0..${MAX_LATENCY_MS}>.`,
    undefined,
    "simulate_failure_unknown",
  );
}
