import { randomUUID } from "node:crypto";
import { initTRPC } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import type { Logger } from "pino";
import { ZodError } from "zod";
import { authenticate } from "../auth/merchant";
import { sql } from "../db/client";
import { DatabaseUnavailableError, isDatabaseUnavailable } from "../db/errors";
import { isPrismaUnavailable } from "../db/prisma-errors";
import type { Sql } from "../db/sql";
import { faultHooks, parseFault } from "../faults";
import { defaultEngine } from "../idempotency/default-engine";
import { idempotencyKeyFromInput, problemToTRPCError, runTrpc, toTRPCError, type TrpcRunSpec } from "../idempotency/adapters/trpc";
import { fieldErrors } from "../http/respond";
import { logger } from "../observability/logger";
import type { Outcome } from "../observability/metrics";
import { observe } from "../observability/observe";
import { problem, ProblemError } from "../problem";

export interface Context {
  headers: Headers;
  requestId: string;
  log: Logger;
  /** How many calls of this HTTP request were replays: the route then sets Idempotent-Replayed. */
  replays: { count: number };
}

/** Request-free: tests build one from headers alone and call procedures through createCaller. */
export function createContext(opts: { headers: Headers; requestId?: string }): Context {
  const requestId = opts.requestId ?? (opts.headers.get("x-request-id")?.slice(0, 128) || randomUUID());
  return { headers: opts.headers, requestId, log: logger.child({ requestId, via: "trpc" }), replays: { count: 0 } };
}

const t = initTRPC.context<Context>().create({
  errorFormatter({ shape, error }) {
    const p =
      error.cause instanceof ProblemError
        ? error.cause.problem
        : error.cause instanceof ZodError
          ? problem("validation_failed", "The input is invalid.", { errors: fieldErrors(error.cause) })
          : undefined;
    return { ...shape, data: { ...shape.data, problem: p } };
  },
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/**
 * A database outage is a 503 problem over tRPC too (as over REST), not tRPC's default 500: a
 * client retries a 503 and stops on a 500. The dashboard's reads are Prisma's, hence both checks.
 */
export const publicProcedure = t.procedure.use(async ({ next }) => {
  const result = await next();
  if (result.ok || !(isDatabaseUnavailable(result.error.cause) || isPrismaUnavailable(result.error.cause))) return result;
  const p = problem("database_unavailable", "The database is unavailable. Nothing was saved; retry.", {
    retryAfterSeconds: DatabaseUnavailableError.retryAfterSeconds,
  });
  return { ...result, error: problemToTRPCError(p) };
});

/** Authenticated with `Authorization: Bearer <api key>`, like the REST API. */
export const merchantProcedure = publicProcedure.use(async ({ ctx, next }) => {
  const merchant = await authenticate(await sql(), ctx.headers.get("authorization"));
  if (!merchant) {
    throw problemToTRPCError(problem("unauthorized", "A valid API key is required: Authorization: Bearer <api key>."));
  }
  return next({ ctx: { merchant } });
});

/**
 * For mutations that must run at most once per key. The key comes from each call's own input
 * (`idempotencyKey`); the resolver hands its validated input and effect to `ctx.idempotency.run`.
 */
export const idempotentProcedure = merchantProcedure.use(async ({ ctx, next, path, getRawInput }) => {
  const startedAt = new Date();
  const started = performance.now();
  const report: { outcome?: Outcome; value?: { amount: number; currency: string } } = {};
  const key = idempotencyKeyFromInput(await getRawInput());
  const fault = faultHooks(parseFaultOrThrow(ctx.headers.get("simulate-failure")));
  const engine = await defaultEngine();
  const result = await next({
    ctx: {
      idempotency: {
        key,
        run: async <T>(spec: Omit<TrpcRunSpec<Sql, T>, "beforeExecute" | "withholdResponse">) => {
          report.value = spec.value;
          try {
            const data = await runTrpc(
              engine,
              ctx.merchant.id,
              key,
              {
                ...spec,
                beforeExecute: fault.beforeExecute,
                withholdResponse: fault.withholdResponse,
                execute: fault.wrap(spec.execute),
              },
              report,
            );
            if (data.idempotentReplayed) ctx.replays.count++;
            return data;
          } catch (error) {
            const mapped = toTRPCError(error);
            report.outcome ??= mapped.outcome;
            if (mapped.unexpected) ctx.log.error({ err: error }, "idempotent call failed");
            throw mapped.error;
          }
        },
      },
    },
  });
  const outcome = report.outcome ?? (result.ok ? "executed" : "rejected");
  const latencyMs = performance.now() - started;
  const status = result.ok ? 200 : getHTTPStatusCodeFromError(result.error);
  observe({ at: startedAt, merchantId: ctx.merchant.id, operation: path, key, outcome, status, latencyMs, ...report.value });
  ctx.log.info({ merchant: ctx.merchant.id, key, operation: path, outcome, status, durationMs: Math.round(latencyMs * 10) / 10 }, "call");
  return result;
});

function parseFaultOrThrow(header: string | null) {
  try {
    return parseFault(header);
  } catch (error) {
    throw toTRPCError(error).error;
  }
}
