import { AsyncLocalStorage } from "node:async_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import type { IdempotentCall, Steps } from "@oncepay/idempotency";
import { problem, problemError } from "./problem";

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
  throw problemError(
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

// On globalThis: the edge that sets it and the provider client that reads it may sit in separate
// route bundles of Next, each with its own copy of this module (as the app itself does, see app()).
const holder = globalThis as typeof globalThis & { __oncepayFault?: AsyncLocalStorage<Fault | null> };
const running = (holder.__oncepayFault ??= new AsyncLocalStorage<Fault | null>());

/** The fault of the call whose steps are running now: the provider client passes it on (server/provider/faults.ts). */
export function currentFault(): Fault | null {
  return running.getStore() ?? null;
}

/**
 * `call` with the demo's simulated failures applied around it, at the edge (REST and tRPC): the
 * pipeline and the operations never see a fault. `header` is the request's `Simulate-Failure`,
 * honoured only when fault injection is on.
 */
export function withFault<Tx, I, S>(call: IdempotentCall<Tx, I, S>, header: () => string | null, enabled: boolean): IdempotentCall<Tx, I, S> {
  if (!enabled) return call;
  let fault: Fault | null = null;
  const { steps, effect, answer, beforeExecute } = call;
  return {
    ...call,
    // Parsed after the input, so that an invalid body is reported before an invalid header.
    input: async () => {
      const input = await call.input();
      fault = parseFault(header(), enabled);
      return input;
    },
    beforeExecute: async () => {
      if (fault?.mode === "delay") await sleep(fault.ms);
      await beforeExecute?.();
    },
    steps: steps && ((s, args) => running.run(fault, () => steps(failingSteps(s, fault), args))),
    // With fail-before-commit, the effect throws after its writes, inside its transaction.
    effect: async (tx, args) => {
      const result = await effect(tx, args);
      if (fault?.mode === "fail-before-commit") throw new SimulatedFailure();
      return result;
    },
    answer: (result) => {
      const given = answer ? answer(result) : result;
      if (fault?.mode !== "lost-response" || given.outcome !== "executed" || !("response" in given)) return given;
      // Still an execution (it committed): only its answer is lost, and a retry gets the replay.
      const lost = problem(
        "simulated_lost_response",
        "The payment committed but its response was withheld (Simulate-Failure: lost-response). Retry with the same key to get it.",
      );
      return { outcome: "executed", key: given.key, problem: lost, headers: {} };
    },
  };
}

/**
 * With fail-before-commit, the first step throws after its writes, inside its transaction, so
 * nothing commits at all (no recovery point, no local row, no charge).
 */
function failingSteps<Tx>(steps: Steps<Tx>, fault: Fault | null): Steps<Tx> {
  if (fault?.mode !== "fail-before-commit") return steps;
  const failing = async <T>(run: () => Promise<T>): Promise<never> => {
    await run();
    throw new SimulatedFailure();
  };
  return {
    atomic: (point, run, parse) => steps.atomic(point, (tx) => failing(() => run(tx)), parse),
    external: (point, run, parse, options) => steps.external(point, () => failing(run), parse, options),
  };
}
