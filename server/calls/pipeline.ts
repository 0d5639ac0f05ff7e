import { faultHooks, type Fault } from "../faults";
import type { IdempotencyEngine } from "../idempotency/engine";
import { fingerprint } from "../idempotency/fingerprint";
import { problem } from "../problem";
import type { BatchCall, BatchResult, CallObservation, CallResult, IdempotentCall, ProblemResult, Via } from "./call";
import { statusOf } from "./call";
import { mapError } from "./problems";

/** What the pipeline learned of a call before it ended, for the one observation it makes. */
export interface Seen {
  scope?: string;
  key?: string;
  value?: { amount: number; currency: string };
  resumedFrom?: string;
}

/**
 * The one way into the engine, for every protocol and caller: takes a call apart (scope, key,
 * input, fault), runs it through the engine, and turns every ending into a CallResult. Timing, the
 * log line, metrics and the request history happen here, once per call, through `observe`.
 */
export interface PipelineOptions {
  /**
   * At most this many keys of one merchant in flight (MERCHANT_MAX_IN_FLIGHT): the engine's cap
   * on a scope, for merchants' calls only (REST and tRPC). Webhooks, consumers and jobs are never
   * capped: what they finish was already admitted.
   */
  merchantMaxInFlight?: number;
}

/** The ways in that carry a merchant's own requests. */
const MERCHANT_VIAS: ReadonlySet<Via> = new Set<Via>(["rest", "trpc"]);

export class CallPipeline<Tx> {
  constructor(
    private readonly engine: IdempotencyEngine<Tx>,
    private readonly observe: (observation: CallObservation) => void,
    private readonly options: PipelineOptions = {},
  ) {}

  async run<I, S>(call: IdempotentCall<Tx, I, S>): Promise<CallResult> {
    const at = new Date();
    const started = performance.now();
    const seen: Seen = {};
    let ended: Ended;
    try {
      ended = { result: await this.execute(call, seen) };
    } catch (error) {
      ended = failure(error, seen);
    }
    this.observe(observation(call, seen, at, performance.now() - started, ended));
    return ended.result;
  }

  /**
   * Calls that need no claim (see BatchCall), run in one transaction and observed as `run` observes
   * them, once per item, each with the batch's time (what it waited for its commit). A batch that
   * failed committed nothing; a failure `observeFailure` declines leaves its items unobserved, for a
   * caller that runs them again in smaller batches, observed then.
   */
  async runBatch(call: BatchCall<Tx>, options: { observeFailure?: (error: unknown) => boolean } = {}): Promise<BatchResult> {
    const at = new Date();
    const started = performance.now();
    try {
      const outcomes = await call.transaction(async (tx) => {
        const each = await call.effect(tx);
        if (each.length !== call.items.length) throw new Error(`${call.operation}: ${each.length} outcomes for ${call.items.length} calls`);
        return each;
      });
      const latencyMs = performance.now() - started;
      call.items.forEach(({ scope, key }, i) => {
        const ended = { result: { outcome: outcomes[i]!, key, response: { status: 200, headers: {}, body: "" } } };
        this.observe(observation(call, { scope, key }, at, latencyMs, ended));
      });
      return { outcomes };
    } catch (error) {
      const latencyMs = performance.now() - started;
      if (options.observeFailure?.(error) ?? true)
        for (const item of call.items) this.observe(observation(call, { ...item }, at, latencyMs, failure(error, item)));
      return { problem: mapError(error).problem, error };
    }
  }

  /** A call refused before it could be taken apart (a tRPC input its schema rejected, say), observed as one. */
  reject(call: Pick<IdempotentCall<Tx, unknown, unknown>, "operation" | "via" | "requestId">, seen: Seen, error: unknown): ProblemResult {
    const ended = failure(error, seen);
    this.observe(observation(call, seen, new Date(), 0, ended));
    return ended.result;
  }

  private async execute<I, S>(call: IdempotentCall<Tx, I, S>, seen: Seen): Promise<CallResult> {
    const scope = (seen.scope = await call.scope());
    const key = (seen.key = await call.key());
    const input = await call.input();
    seen.value = call.value?.(input);
    const fault: Fault | null = (await call.fault?.()) ?? null;
    const hooks = faultHooks(fault);
    const { steps } = call;
    const run = await this.engine.run<S>({
      scope,
      operation: call.operation,
      key,
      fingerprint: fingerprint(input),
      input,
      waitMs: call.waitMs,
      maxInFlight: MERCHANT_VIAS.has(call.via) ? this.options.merchantMaxInFlight : undefined,
      beforeExecute: hooks.beforeExecute,
      steps: steps && ((s, execution) => steps(hooks.wrapSteps(s), { scope, input, execution, fault })),
      execute: hooks.wrap((tx: Tx, execution, prepared: S) => call.effect(tx, { scope, input, execution, fault, prepared })),
    });
    if (run.resumedFrom) seen.resumedFrom = run.resumedFrom;
    if (run.outcome === "executed" && hooks.withholdResponse) {
      // Still an execution (it committed): only its answer is lost, and a retry gets the replay.
      const lost = problem(
        "simulated_lost_response",
        "The payment committed but its response was withheld (Simulate-Failure: lost-response). Retry with the same key to get it.",
      );
      return { outcome: "executed", key, problem: lost, headers: {} };
    }
    return { outcome: run.outcome, key, response: run.response, resumedFrom: run.resumedFrom ?? undefined, waited: run.waited };
  }
}

interface Ended<R extends CallResult = CallResult> {
  result: R;
  /** A failure nobody expected, for an error-level log with its stack. */
  unexpected?: unknown;
}

function failure(error: unknown, seen: Seen): Ended<ProblemResult> {
  const mapped = mapError(error);
  return {
    result: { outcome: mapped.outcome, key: seen.key, problem: mapped.problem, headers: mapped.headers },
    unexpected: mapped.unexpected ? error : undefined,
  };
}

function observation(
  call: Pick<IdempotentCall<unknown, unknown, unknown>, "operation" | "via" | "requestId">,
  seen: Seen,
  at: Date,
  latencyMs: number,
  { result, unexpected }: Ended,
): CallObservation {
  return {
    at,
    via: call.via,
    requestId: call.requestId,
    operation: call.operation,
    scope: seen.scope,
    key: seen.key,
    outcome: result.outcome,
    status: statusOf(result),
    latencyMs,
    ...seen.value,
    resumedFrom: seen.resumedFrom,
    unexpected,
  };
}
