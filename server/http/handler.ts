import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { authenticate, type Merchant } from "../auth/merchant";
import { sql } from "../db/client";
import type { SqlPool } from "../db/sql";
import { mapError } from "../idempotency/adapters/problems";
import { logger } from "../observability/logger";
import type { Outcome } from "../observability/metrics";
import { observe } from "../observability/observe";
import { problem, ProblemError } from "../problem";
import { problemResponse } from "./respond";

export interface RequestContext {
  request: Request;
  requestId: string;
  log: Logger;
  sql(): Promise<SqlPool>;
  /** The authenticated merchant; a ProblemError (401) otherwise. */
  merchant(): Promise<Merchant>;
  /** What an idempotent handler reports, for logs and metrics. */
  report: { outcome?: Outcome; key?: string; merchant?: string; amount?: number; currency?: string };
}

export interface HandlerOptions {
  /** Set for idempotent operations: outcomes are counted under this name. */
  operation?: string;
}

/**
 * Wraps a route handler: request id, authentication on demand, problem+json for every failure,
 * one log line per request and, for idempotent operations, the outcome in metrics and history.
 */
export function handler<P = unknown>(
  fn: (ctx: RequestContext, params: P) => Promise<Response>,
  options: HandlerOptions = {},
): (request: Request, route: { params: Promise<P> }) => Promise<Response> {
  return async (request, route) => {
    const startedAt = new Date();
    const started = performance.now();
    const requestId = request.headers.get("x-request-id")?.slice(0, 128) || randomUUID();
    const log = logger.child({ requestId, method: request.method, path: new URL(request.url).pathname });
    const ctx: RequestContext = {
      request,
      requestId,
      log,
      sql,
      report: {},
      async merchant() {
        const merchant = await authenticate(await sql(), request.headers.get("authorization"));
        if (!merchant) {
          throw new ProblemError(
            problem("unauthorized", "A valid API key is required: Authorization: Bearer <api key>."),
            { "www-authenticate": 'Bearer realm="oncepay"' },
          );
        }
        ctx.report.merchant = merchant.id;
        return merchant;
      },
    };
    let response: Response;
    try {
      response = await fn(ctx, await (route?.params ?? Promise.resolve({} as P)));
    } catch (error) {
      const mapped = mapError(error);
      ctx.report.outcome ??= mapped.outcome;
      if (mapped.unexpected) log.error({ err: error }, "request failed");
      response = problemResponse(mapped.problem, mapped.headers);
    }
    response.headers.set("request-id", requestId);
    const seconds = (performance.now() - started) / 1000;
    const { outcome, merchant, key, amount, currency } = ctx.report;
    if (options.operation && outcome) {
      observe({ at: startedAt, merchantId: merchant, operation: options.operation, key, outcome, status: response.status, latencyMs: seconds * 1000, amount, currency });
    }
    log.info(
      { merchant, key, operation: options.operation, outcome, status: response.status, durationMs: Math.round(seconds * 10_000) / 10 },
      "request",
    );
    return response;
  };
}
