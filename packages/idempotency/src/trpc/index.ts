import { experimental_standaloneMiddleware, type TRPCError } from "@trpc/server";
import type { CallArgs, CallResult, IdempotentCall, ProblemResult } from "../call.js";
import type { OperationResult, Steps } from "../engine.js";
import { idempotencyKeySchema } from "../key.js";
import type { CallPipeline } from "../pipeline.js";
import { preferenceApplied, waitPreference } from "../prefer.js";
import { problem, ProblemError, type Problem } from "../problem.js";
import { causeOf, problemToTRPCError } from "./errors.js";

export { causeOf, problemOfError, problemToTRPCError } from "./errors.js";

/** Per-procedure facts the middleware reads: the operation's name, shared with any other way in. */
export interface IdempotentMeta {
  operation?: string;
}

/** A parsed output: the stored success body is checked with it on the way out (zod's schemas fit). */
export interface OutputSchema<T> {
  parse(value: unknown): T;
}

/** What a resolver says of its call; the key, scope and wait come from the request. */
export interface TrpcCall<Tx, I, T, S = void> {
  input: I;
  /** Validates the stored success body on the way out, fresh or replayed. */
  output: OutputSchema<T>;
  attributes?: IdempotentCall<Tx, I, S>["attributes"];
  /** Runs after the claim and before the execution, holding no connection. */
  beforeExecute?: () => Promise<void>;
  steps?: (steps: Steps<Tx>, call: CallArgs<I>) => Promise<S>;
  effect: (tx: Tx, call: CallArgs<I> & { prepared: S }) => Promise<OperationResult>;
}

/** The data of a stored success, and whether it was a replay: a caller sees its retries for what they are. */
export type Idempotent<T> = T & { idempotentReplayed: boolean };

export interface TrpcIdempotencyOptions<Ctx, Tx> {
  pipeline: (ctx: Ctx) => CallPipeline<Tx>;
  /** Whose key it is (a tenant, a user): keys of different scopes never meet. */
  scope: (ctx: Ctx) => string;
  /** The request's headers, for `Prefer: wait=N` (a mutation is one HTTP request with splitLink). */
  headers?: (ctx: Ctx) => Headers | undefined;
  /** Defaults to `"trpc"`. */
  via?: string;
  requestId?: (ctx: Ctx) => string | undefined;
  /** Wraps each call just before it runs (an app's fault injection at its edge, say). */
  wrap?: <I, S>(call: IdempotentCall<Tx, I, S>, ctx: Ctx) => IdempotentCall<Tx, I, S>;
  /** Told of each call's result and the `Preference-Applied` value, if any (to set response headers). */
  onResult?: (result: CallResult, ctx: Ctx, preferenceApplied: string | null) => void;
}

/** The key of a call, from its raw input (`idempotencyKey`): the key travels per call, never per HTTP batch. */
export function idempotencyKeyFromInput(raw: unknown): string {
  const value = raw !== null && typeof raw === "object" ? (raw as Record<string, unknown>).idempotencyKey : undefined;
  if (value === undefined) throw new ProblemError(problem("idempotency_key_missing", "idempotencyKey is required for this mutation."));
  const parsed = idempotencyKeySchema.safeParse(value);
  if (!parsed.success) throw new ProblemError(problem("idempotency_key_invalid", parsed.error.issues[0]?.message ?? "Invalid idempotencyKey"));
  return parsed.data;
}

/** A result that stored nothing, as the tRPC error it is answered with (`retryAfterSeconds` in the problem). */
export function problemOf(result: ProblemResult): TRPCError {
  const retryAfter = result.headers["retry-after"];
  return problemToTRPCError(retryAfter ? { ...result.problem, retryAfterSeconds: Number(retryAfter) } : result.problem);
}

/**
 * A call's result the tRPC way: a stored 2xx becomes the data (with `idempotentReplayed`), a stored
 * failure or a problem becomes a tRPC error carrying the problem. A key used over HTTP and over
 * tRPC is one key: both read the same stored response.
 */
export function fromCallResult<T>(result: CallResult, output: OutputSchema<T>): Idempotent<T> {
  if (!("response" in result)) throw problemOf(result);
  const replayed = result.outcome === "replayed";
  const body: unknown = JSON.parse(result.response.body);
  if (result.response.status >= 300) throw problemToTRPCError({ ...(body as Problem), idempotentReplayed: replayed });
  return { ...output.parse(body), idempotentReplayed: replayed };
}

/**
 * A tRPC middleware that gives the resolver `ctx.call`, which runs its call through the pipeline
 * under `meta.operation`, with the key of this call's own input (`idempotencyKey`). A call refused
 * before its resolver ran (its input failed the schema, its key was missing) is still observed, as
 * a rejection.
 */
export function idempotentMiddleware<Ctx extends object, Tx>(options: TrpcIdempotencyOptions<Ctx, Tx>) {
  const via = options.via ?? "trpc";
  return experimental_standaloneMiddleware<{ ctx: Ctx; meta: IdempotentMeta }>().create(async ({ ctx: given, next, meta, path, getRawInput }) => {
    // The middleware's view of the context is tRPC's simplified copy of `Ctx`: the same object.
    const ctx = given as unknown as Ctx;
    const operation = meta?.operation;
    if (!operation) throw new Error(`idempotent procedure ${path} has no meta.operation`);
    const pipeline = options.pipeline(ctx);
    const requestId = options.requestId?.(ctx);
    const seen = { scope: options.scope(ctx) };
    let key: string;
    try {
      key = idempotencyKeyFromInput(await getRawInput());
    } catch (error) {
      // Checked before the input schema, so a missing key is reported as such, not as a field error.
      throw problemOf(pipeline.reject({ operation, via, requestId }, seen, error));
    }
    let ran = false;
    const wait = waitPreference(options.headers?.(ctx)?.get("prefer") ?? null);
    const call = async <I, T, S>(spec: TrpcCall<Tx, I, T, S>): Promise<Idempotent<T>> => {
      ran = true;
      const base: IdempotentCall<Tx, I, S> = {
        operation,
        via,
        requestId,
        scope: () => seen.scope,
        key: () => key,
        input: () => spec.input,
        waitMs: (wait ?? 0) * 1000,
        attributes: spec.attributes,
        beforeExecute: spec.beforeExecute,
        steps: spec.steps,
        effect: spec.effect,
      };
      const result = await pipeline.run(options.wrap ? options.wrap(base, ctx) : base);
      options.onResult?.(result, ctx, Object.values(preferenceApplied(wait, result))[0] ?? null);
      return fromCallResult(result, spec.output);
    };
    const result = await next({ ctx: { call } });
    if (!result.ok && !ran) pipeline.reject({ operation, via, requestId }, { ...seen, key }, causeOf(result.error));
    return result;
  });
}
