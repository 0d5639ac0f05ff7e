import type { ExecutionContext, OperationResult, Steps } from "./engine.js";
import type { Outcome } from "./errors-map.js";
import type { Problem } from "./problem.js";
import type { StoredResponse } from "./record.js";

/** One part of a call, taken when the pipeline gets to it: it may throw a ProblemError (a 400, a 401). */
export type Step<T> = () => T | Promise<T>;

/** Facts of a call worth observing beside its outcome (the money at stake, say). */
export type Attributes = Readonly<Record<string, string | number | boolean>>;

/** What the steps and the effect of a call are given. */
export interface CallArgs<I> {
  scope: string;
  input: I;
  execution: ExecutionContext;
}

/**
 * One idempotent call, in the order the pipeline takes it apart: who (`scope`), which key, what
 * input, then the effect. Each step may throw a ProblemError (a 401, a 400), which makes the call
 * a rejection; whatever a step already produced still reaches the observation.
 */
export interface IdempotentCall<Tx, I, S = void> {
  operation: string;
  /** The way in (`"rest"`, `"trpc"`, a job…): observed, and what `maxInFlight` is judged by. */
  via: string;
  /** The request that carried the call, if any: ties the call's observation to its request. */
  requestId?: string;
  scope: Step<string>;
  key: Step<string>;
  /** The validated input: what the fingerprint covers. */
  input: Step<I>;
  /** How long a duplicate of a key in flight waits for the original's outcome before a 409. */
  waitMs?: number;
  /** Facts of the input copied onto the observation. */
  attributes?: (input: I) => Attributes;
  /** Runs after the claim and before the execution, holding no connection. */
  beforeExecute?: () => Promise<void>;
  /** Steps with recovery points, before the effect (a provider call, say); what they return reaches the effect. */
  steps?: (steps: Steps<Tx>, call: CallArgs<I>) => Promise<S>;
  /** The effect, the final commit. All its writes go through `tx`, which commits with the stored outcome. */
  effect: (tx: Tx, call: CallArgs<I> & { prepared: S }) => Promise<OperationResult>;
  /** Reshapes the result before it is observed and answered (an edge that withholds an answer, say). */
  answer?: (result: CallResult) => CallResult;
}

/**
 * One operation as every way in runs it (an HTTP route, a tRPC procedure, a job resuming it): its
 * name, how its input is parsed, what is observed of it, its steps and its effect. A way in adds
 * the rest (`via`, `scope`, `key`, `input`).
 */
export interface IdempotentOperation<Tx, I, S = void> extends Pick<IdempotentCall<Tx, I, S>, "operation" | "attributes" | "steps" | "effect"> {
  /** Parses the input: a request's body, or what a record kept for a resumer (`abandoned`). */
  schema: { parse(value: unknown): I };
}

/**
 * Many calls whose idempotency is their effect's own (a consumer's inbox decides each one in the
 * transaction that applies it): no record is claimed, they share one transaction, and each is still
 * observed once, as a call.
 */
export interface BatchCall<Tx> {
  operation: string;
  via: string;
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

/** Everything a call leaves behind for logs, metrics and histories: made once, by the pipeline. */
export interface CallObservation {
  at: Date;
  via: string;
  requestId?: string;
  operation: string;
  /** The scope, once known (a call refused before it had one has none). */
  scope?: string;
  key?: string;
  outcome: Outcome;
  status: number;
  latencyMs: number;
  attributes?: Attributes;
  /** For an execution that resumed an earlier one: the recovery point it started from. */
  resumedFrom?: string;
  /** Set for failures nobody expected: worth an error-level log with the stack. */
  unexpected?: unknown;
}

export function statusOf(result: CallResult): number {
  return "response" in result ? result.response.status : result.problem.status;
}
