import type { Attributes, BatchCall, BatchResult, CallObservation, CallResult, IdempotentCall, ProblemResult } from "./call.js";
import { statusOf } from "./call.js";
import type { IdempotencyEngine } from "./engine.js";
import { mapError, type ErrorMapper, type MappedError } from "./errors-map.js";
import { fingerprint } from "./fingerprint.js";

/** What the pipeline learned of a call before it ended, for the one observation it makes. */
export interface Seen {
  scope?: string;
  key?: string;
  attributes?: Attributes;
  resumedFrom?: string;
}

export interface PipelineOptions {
  /** Each call's one observation: the place for logs, metrics and histories. */
  observe?: (observation: CallObservation) => void;
  /**
   * At most this many keys of one scope in flight for calls that came in `via` (the engine's
   * `maxInFlight`); undefined: no cap. Say, callers' own requests capped, jobs finishing what was
   * already admitted never.
   */
  maxInFlight?: (via: string) => number | undefined;
  /** The app's own errors as problems, asked before the package's mapping (see `mapError`). */
  mapError?: ErrorMapper;
}

/**
 * The one way into the engine, for every protocol and caller: takes a call apart (scope, key,
 * input), runs it through the engine, and turns every ending into a CallResult. Timing and the
 * observation happen here, once per call.
 */
export class CallPipeline<Tx> {
  constructor(
    private readonly engine: IdempotencyEngine<Tx>,
    private readonly options: PipelineOptions = {},
  ) {}

  private observe(observation: CallObservation): void {
    this.options.observe?.(observation);
  }

  /** Every failure of a call as its problem, with the app's own mapping first. */
  mapError(error: unknown): MappedError {
    return mapError(error, this.options.mapError);
  }

  async run<I, S>(call: IdempotentCall<Tx, I, S>): Promise<CallResult> {
    const at = new Date();
    const started = performance.now();
    const seen: Seen = {};
    let ended: Ended;
    try {
      ended = { result: await this.execute(call, seen) };
    } catch (error) {
      ended = this.failure(error, seen);
    }
    if (call.answer) ended = { ...ended, result: call.answer(ended.result) };
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
        for (const item of call.items) this.observe(observation(call, { ...item }, at, latencyMs, this.failure(error, item)));
      return { problem: this.mapError(error).problem, error };
    }
  }

  /** A call refused before it could be taken apart (a tRPC input its schema rejected, say), observed as one. */
  reject(call: Pick<IdempotentCall<Tx, unknown, unknown>, "operation" | "via" | "requestId">, seen: Seen, error: unknown): ProblemResult {
    const ended = this.failure(error, seen);
    this.observe(observation(call, seen, new Date(), 0, ended));
    return ended.result;
  }

  private failure(error: unknown, seen: Seen): Ended<ProblemResult> {
    const mapped = this.mapError(error);
    return {
      result: { outcome: mapped.outcome, key: seen.key, problem: mapped.problem, headers: mapped.headers },
      unexpected: mapped.unexpected ? error : undefined,
    };
  }

  private async execute<I, S>(call: IdempotentCall<Tx, I, S>, seen: Seen): Promise<CallResult> {
    const scope = (seen.scope = await call.scope());
    const key = (seen.key = await call.key());
    const input = await call.input();
    seen.attributes = call.attributes?.(input);
    const { steps } = call;
    const run = await this.engine.run<S>({
      scope,
      operation: call.operation,
      key,
      fingerprint: fingerprint(input),
      input,
      waitMs: call.waitMs,
      maxInFlight: this.options.maxInFlight?.(call.via),
      beforeExecute: call.beforeExecute,
      steps: steps && ((s, execution) => steps(s, { scope, input, execution })),
      execute: async (tx: Tx, execution, prepared: S) => {
        const result = await call.effect(tx, { scope, input, execution, prepared });
        return { ...result, headers: storableHeaders(result.headers) };
      },
    });
    if (run.resumedFrom) seen.resumedFrom = run.resumedFrom;
    return { outcome: run.outcome, key, response: run.response, resumedFrom: run.resumedFrom ?? undefined, waited: run.waited };
  }
}

interface Ended<R extends CallResult = CallResult> {
  result: R;
  /** A failure nobody expected, for an error-level log with its stack. */
  unexpected?: unknown;
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
    attributes: seen.attributes,
    resumedFrom: seen.resumedFrom,
    unexpected,
  };
}

/** Headers never stored for replay: they belong to one HTTP response, not to the outcome every retry gets. */
const UNSTORED_HEADERS = new Set(["set-cookie", "date", "connection", "transfer-encoding", "keep-alive"]);

function storableHeaders(headers: Record<string, string> = {}): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !UNSTORED_HEADERS.has(name.toLowerCase())));
}
