import { experimental_standaloneMiddleware } from "@trpc/server";
import type { z } from "zod";
import type { Merchant } from "../../auth/merchant";
import type { IdempotentCall } from "../../calls/call";
import type { Sql } from "../../db/sql";
import { parseFault } from "../../faults";
import { preferenceApplied, waitPreference } from "../../idempotency/adapters/prefer";
import { fromCallResult, idempotencyKeyFromInput, problemErrorOf, problemOf, type Idempotent } from "../../idempotency/adapters/trpc";
import type { Context } from "../context";
import type { Meta } from "../meta";

/** What a resolver says of its call; the key, merchant and fault come from the request. */
export interface TrpcCall<I, T, S> extends Pick<IdempotentCall<Sql, I, S>, "value" | "steps" | "effect"> {
  input: I;
  /** Validates the stored success body on the way out, fresh or replayed. */
  output: z.ZodType<T>;
}

/**
 * Gives the resolver `ctx.call`, which runs its call through the pipeline with the key of this
 * call's own input (the key travels per call, never per HTTP batch). A call refused before its
 * resolver ran (its input failed the schema) is observed as a rejection, like a REST 400.
 */
export const idempotent = experimental_standaloneMiddleware<{ ctx: Context & { merchant: Merchant }; meta: Meta }>().create(
  async ({ ctx, next, meta, path, getRawInput }) => {
    // The engine's name for the operation, the same over REST, never the procedure's path.
    const operation = meta?.operation;
    if (!operation) throw new Error(`idempotent procedure ${path} has no meta.operation`);
    const seen = { scope: ctx.merchant.id };
    let key: string;
    try {
      key = idempotencyKeyFromInput(await getRawInput());
    } catch (error) {
      // Checked before the input schema, so a missing key is reported as such, not as a field error.
      throw problemOf(ctx.calls.reject({ operation, via: "trpc", requestId: ctx.requestId }, seen, error));
    }
    let ran = false;
    // The same header as REST: with splitLink a mutation is one HTTP request, so it is this call's.
    const wait = waitPreference(ctx.headers.get("prefer"));
    const call = async <I, T, S>(spec: TrpcCall<I, T, S>): Promise<Idempotent<T>> => {
      ran = true;
      const result = await ctx.calls.run({
        operation,
        via: "trpc",
        requestId: ctx.requestId,
        scope: () => ctx.merchant.id,
        key: () => key,
        input: () => spec.input,
        fault: () => parseFault(ctx.headers.get("simulate-failure"), ctx.faultInjection),
        waitMs: (wait ?? 0) * 1000,
        value: spec.value,
        steps: spec.steps,
        effect: spec.effect,
      });
      if (result.outcome === "replayed") ctx.replays.count++;
      ctx.preferenceApplied.value ??= Object.values(preferenceApplied(wait, result))[0] ?? null;
      return fromCallResult(result, spec.output);
    };
    const result = await next({ ctx: { call } });
    if (!result.ok && !ran) {
      ctx.calls.reject({ operation, via: "trpc", requestId: ctx.requestId }, { ...seen, key }, problemErrorOf(result.error));
    }
    return result;
  },
);
