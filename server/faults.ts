import { setTimeout as sleep } from "node:timers/promises";
import type { Steps } from "./idempotency/engine";
import { ProblemError } from "./problem";

/** The simulated network failures of the demo (contract: "Fault injection"). */
export type Fault =
  | { mode: "lost-response" }
  | { mode: "fail-before-commit" }
  | { mode: "delay"; ms: number }
  // Passed on to the provider simulator with the charge (contract: "Payment provider").
  | { mode: "provider-timeout-after-charge" }
  | { mode: "provider-fail-before-charge" }
  | { mode: "provider-latency"; ms: number }
  // The provider holds the request this long before executing it (a refund made at the provider
  // meanwhile can then take what this one asked for).
  | { mode: "provider-delay"; ms: number };

const SIMPLE_MODES = ["lost-response", "fail-before-commit", "provider-timeout-after-charge", "provider-fail-before-charge"] as const;

export const MAX_DELAY_MS = 60_000;

/** The `Simulate-Failure` header, honoured only when FAULT_INJECTION=1; otherwise ignored. */
export function parseFault(header: string | null, enabled: boolean): Fault | null {
  if (!enabled || header === null || header.trim() === "") return null;
  const value = header.trim().toLowerCase();
  const simple = SIMPLE_MODES.find((mode) => mode === value);
  if (simple) return { mode: simple };
  const timed = /^(delay|provider-latency|provider-delay)=(\d{1,6})$/.exec(value);
  if (timed && Number(timed[2]) <= MAX_DELAY_MS) return { mode: timed[1] as "delay" | "provider-latency" | "provider-delay", ms: Number(timed[2]) };
  throw ProblemError.of(
    "invalid_fault",
    `Simulate-Failure must be one of ${SIMPLE_MODES.map((m) => `"${m}"`).join(", ")}, "delay=<ms>", "provider-latency=<ms>" or "provider-delay=<ms>" (ms <= ${MAX_DELAY_MS})`,
  );
}

/** Thrown inside the transaction, after the effect and before the commit: everything rolls back. */
export class SimulatedFailure extends Error {
  constructor() {
    super("Simulated failure before commit");
    this.name = "SimulatedFailure";
  }
}

/** The hooks a fault adds around one execution. */
export function faultHooks(fault: Fault | null) {
  return {
    beforeExecute: fault?.mode === "delay" ? () => sleep(fault.ms) : undefined,
    /** Wraps an effect: with fail-before-commit, it throws after the effect, inside its transaction. */
    wrap<A extends unknown[], R>(execute: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
      if (fault?.mode !== "fail-before-commit") return execute;
      return async (...args) => {
        await execute(...args);
        throw new SimulatedFailure();
      };
    },
    /**
     * Wraps an operation's steps: with fail-before-commit, the first step throws after its writes,
     * inside its transaction, so nothing commits at all (no recovery point, no local row, no charge).
     */
    wrapSteps<Tx>(steps: Steps<Tx>): Steps<Tx> {
      if (fault?.mode !== "fail-before-commit") return steps;
      const failing = async <T>(run: () => Promise<T>): Promise<never> => {
        await run();
        throw new SimulatedFailure();
      };
      return {
        atomic: (point, run, parse) => steps.atomic(point, (tx) => failing(() => run(tx)), parse),
        external: (point, run, parse, options) => steps.external(point, () => failing(run), parse, options),
      };
    },
    /** Only a fresh execution's answer is lost: a retry of the same request recovers its replay. */
    withholdResponse: fault?.mode === "lost-response",
  };
}
