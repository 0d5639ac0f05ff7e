import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { app, type App } from "../app";
import { mapError } from "../map-error";
import { logger } from "../observability/logger";
import { problemResponse } from "@oncepay/idempotency/fetch";

export interface RouteContext {
  request: Request;
  requestId: string;
  /** The request's logger, made when first asked for: most requests log nothing of their own. */
  log: () => Logger;
  app: App;
}

/**
 * Wraps a route handler: request id, the app, and problem+json for every failure the handler does
 * not answer itself. Idempotent calls are timed, logged and counted by the call pipeline; this
 * only leaves a debug-level access line.
 */
export function route<P = unknown>(
  fn: (ctx: RouteContext, params: P) => Promise<Response>,
): (request: Request, segment: { params: Promise<P> }) => Promise<Response> {
  return async (request, segment) => {
    const started = performance.now();
    const requestId = request.headers.get("x-request-id")?.slice(0, 128) || randomUUID();
    let child: Logger | undefined;
    const log = () => (child ??= logger.child({ requestId, method: request.method, path: new URL(request.url).pathname }));
    let response: Response;
    try {
      response = await fn({ request, requestId, log, app: await app() }, await (segment?.params ?? Promise.resolve({} as P)));
    } catch (error) {
      const mapped = mapError(error);
      if (mapped.unexpected) log().error({ err: error }, "request failed");
      response = problemResponse(mapped.problem, mapped.headers);
    }
    response.headers.set("request-id", requestId);
    if (logger.isLevelEnabled("debug")) log().debug({ status: response.status, durationMs: Math.round((performance.now() - started) * 10) / 10 }, "request");
    return response;
  };
}
