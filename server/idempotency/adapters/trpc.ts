import { TRPCError } from "@trpc/server";
import type { TRPC_ERROR_CODE_KEY } from "@trpc/server/rpc";
import type { z } from "zod";
import type { Outcome } from "../../observability/metrics";
import { problem, ProblemError, type Problem } from "../../problem";
import type { ExecutionContext, IdempotencyEngine, OperationResult } from "../engine";
import { fingerprint } from "../fingerprint";
import { idempotencyKeySchema } from "../key";
import { mapError } from "./problems";

const CODE_BY_STATUS: Record<number, TRPC_ERROR_CODE_KEY> = {
  400: "BAD_REQUEST",
  401: "UNAUTHORIZED",
  402: "PAYMENT_REQUIRED",
  404: "NOT_FOUND",
  409: "CONFLICT",
  422: "UNPROCESSABLE_CONTENT",
  500: "INTERNAL_SERVER_ERROR",
  502: "BAD_GATEWAY",
  503: "SERVICE_UNAVAILABLE",
};

/** A problem as a tRPC error; the error formatter puts the problem back in `error.data.problem`. */
export function problemToTRPCError(p: Problem): TRPCError {
  const code = CODE_BY_STATUS[p.status] ?? (p.status < 500 ? "BAD_REQUEST" : "INTERNAL_SERVER_ERROR");
  return new TRPCError({ code, message: p.detail, cause: new ProblemError(p) });
}

/** Any failure of an idempotent call as a tRPC error, with the outcome it counts as. */
export function toTRPCError(error: unknown): { error: TRPCError; outcome: Outcome; unexpected: boolean } {
  if (error instanceof TRPCError) return { error, outcome: error.code === "INTERNAL_SERVER_ERROR" ? "failed" : "rejected", unexpected: false };
  const mapped = mapError(error);
  const p = mapped.headers["retry-after"] ? { ...mapped.problem, retryAfterSeconds: Number(mapped.headers["retry-after"]) } : mapped.problem;
  return { error: problemToTRPCError(p), outcome: mapped.outcome, unexpected: mapped.unexpected };
}

/** The key of a call, from its raw input: the key travels per call, never per HTTP batch. */
export function idempotencyKeyFromInput(raw: unknown): string {
  const value = raw !== null && typeof raw === "object" ? (raw as Record<string, unknown>).idempotencyKey : undefined;
  if (value === undefined) {
    throw problemToTRPCError(problem("idempotency_key_missing", "idempotencyKey is required for this mutation."));
  }
  const parsed = idempotencyKeySchema.safeParse(value);
  if (!parsed.success) {
    throw problemToTRPCError(problem("idempotency_key_invalid", parsed.error.issues[0]?.message ?? "Invalid idempotencyKey"));
  }
  return parsed.data;
}

export interface TrpcRunSpec<Tx, T> {
  operation: string;
  /** The validated input without the key: what the fingerprint covers. */
  input: unknown;
  /** Validates the stored success body on the way out, fresh or replayed. */
  output: z.ZodType<T>;
  beforeExecute?: () => Promise<void>;
  execute: (tx: Tx, context: ExecutionContext) => Promise<OperationResult>;
  /** Answer a fresh execution with a gateway error instead (the simulated lost response). */
  withholdResponse?: boolean;
  /** The money at stake, for the request history (a replay of it is money protected). */
  value?: { amount: number; currency: string };
}

export type Idempotent<T> = T & { idempotentReplayed: boolean };

/**
 * One call through the engine, answered the tRPC way: a stored 2xx becomes the data (with
 * `idempotentReplayed`), anything else the stored problem as a tRPC error. A key used over REST
 * and over tRPC is one key: both read the same stored response.
 */
export async function runTrpc<Tx, T>(
  engine: IdempotencyEngine<Tx>,
  scope: string,
  key: string,
  spec: TrpcRunSpec<Tx, T>,
  /** Filled in as soon as the engine has answered, even when the answer is thrown as an error. */
  report: { outcome?: Outcome },
): Promise<Idempotent<T>> {
  const result = await engine.run({
    scope,
    operation: spec.operation,
    key,
    fingerprint: fingerprint(spec.input),
    beforeExecute: spec.beforeExecute,
    execute: spec.execute,
  });
  report.outcome = result.outcome;
  const replayed = result.outcome === "replayed";
  if (!replayed && spec.withholdResponse) {
    throw problemToTRPCError(
      problem("simulated_lost_response", "The payment committed but its response was withheld (Simulate-Failure: lost-response). Retry with the same key to get it."),
    );
  }
  const body: unknown = JSON.parse(result.response.body);
  if (result.response.status >= 300) {
    throw problemToTRPCError({ ...(body as Problem), idempotentReplayed: replayed });
  }
  return { ...spec.output.parse(body), idempotentReplayed: replayed };
}
