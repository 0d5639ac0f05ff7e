import type { Fault } from "../faults";
import type { ExecutionContext, OperationResult, Steps } from "../idempotency/engine";
import type { StoredResponse } from "../idempotency/record";
import type { Problem } from "../problem";

/** How one idempotent call ended, as logs, metrics, request history and the dashboard name it. */
export type Outcome = "executed" | "replayed" | "conflict" | "mismatch" | "rejected" | "failed";

/** The ways in: each protocol or caller that runs calls through the pipeline. */
export type Via = "rest" | "trpc" | "job" | "webhook" | "consumer";

type Step<T> = () => T | Promise<T>;

/**
 * One idempotent call, in the order the pipeline takes it apart: who (`scope`), which key, what
 * input, then the effect. Each step may throw a ProblemError (a 401, a 400), which makes the call
 * a rejection; whatever a step already produced still reaches the history (the merchant of a
 * request whose body was invalid, say).
 */
/** What the steps and the effect of a call are given. */
export interface CallArgs<I> {
  scope: string;
  input: I;
  execution: ExecutionContext;
  /** The simulated failure this call carries, for effects that pass it on (to the provider). */
  fault: Fault | null;
}

export interface IdempotentCall<Tx, I, S = void> {
  operation: string;
  via: Via;
  /** The request that carried the call, if any: ties the call's log line to its request. */
  requestId?: string;
  scope: Step<string>;
  key: Step<string>;
  /** The validated input: what the fingerprint covers. */
  input: Step<I>;
  /** Simulated failures for this call (the demo's fault toggle), parsed after the input. */
  fault?: Step<Fault | null>;
  /** How long a duplicate of a key in flight waits for the original (`Prefer: wait`; webhooks: a redelivery gets the replay, not a 409). */
  waitMs?: number;
  /** The money at stake, for the request history (a replay of it is money protected). */
  value?: (input: I) => { amount: number; currency: string };
  /** Steps with recovery points, before the effect (charging the provider, say); what they return reaches the effect. */
  steps?: (steps: Steps<Tx>, call: CallArgs<I>) => Promise<S>;
  /** The effect, the final commit. All its writes go through `tx`, which commits with the stored outcome. */
  effect: (tx: Tx, call: CallArgs<I> & { prepared: S }) => Promise<OperationResult>;
}

/**
 * Many calls whose idempotency is their effect's own (a consumer's inbox decides each one in the
 * transaction that applies it): no record is claimed, they share one transaction, and each is still
 * observed once, as a call.
 */
export interface BatchCall<Tx> {
  operation: string;
  via: Via;
  items: readonly { scope: string; key: string }[];
  /** BEGIN, `fn`, COMMIT on one connection; ROLLBACK if anything throws. */
  transaction: <T>(fn: (tx: Tx) => Promise<T>) => Promise<T>;
  /** All of them, in the one transaction: for each item, whether it ran now or was found done already. */
  effect: (tx: Tx) => Promise<readonly BatchOutcome[]>;
}

export type BatchOutcome = "executed" | "replayed";

/** A committed batch's outcomes, item by item; or why nothing of it committed. */
export type BatchResult = { outcomes: readonly BatchOutcome[] } | { problem: Problem; error: unknown };

/** A stored outcome, fresh or replayed: answered byte for byte, whichever protocol asks. */
export interface StoredResult {
  outcome: "executed" | "replayed";
  key: string;
  response: StoredResponse;
  resumedFrom?: string;
  /** It found the key in flight and waited for the original's outcome (`waitMs`). */
  waited?: boolean;
}

/** A call nothing was stored for (or whose answer is withheld): its problem and extra headers. */
export interface ProblemResult {
  outcome: Outcome;
  key?: string;
  problem: Problem;
  headers: Record<string, string>;
}

export type CallResult = StoredResult | ProblemResult;

/** Everything a call leaves behind for logs, metrics and the request history: made once, here. */
export interface CallObservation {
  at: Date;
  via: Via;
  requestId?: string;
  operation: string;
  /** The merchant, once known (a 401 has none). */
  scope?: string;
  key?: string;
  outcome: Outcome;
  status: number;
  latencyMs: number;
  /** The money at stake (a replay of it is money protected from a second charge). */
  amount?: number;
  currency?: string;
  /** For an execution that resumed an earlier one: the recovery point it started from. */
  resumedFrom?: string;
  /** Set for failures nobody expected: worth an error-level log with the stack. */
  unexpected?: unknown;
}

export function statusOf(result: CallResult): number {
  return "response" in result ? result.response.status : result.problem.status;
}
