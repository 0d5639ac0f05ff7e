import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { App } from "../app";
import { clientAddress } from "../http/client-address";
import { logger } from "../observability/logger";

/**
 * What every procedure gets: the process's parts (`ctx.app`: the database, the pipeline, the
 * operations…), never a client of their own, and what belongs to this one request.
 */
export interface Context {
  app: App;
  headers: Headers;
  /** The client's address (server/http/client-address.ts), for per-address limits. */
  clientAddress: string;
  requestId: string;
  log: Logger;
  /** Headers a limit adds to the HTTP response (Retry-After, RateLimit): the handler sets them. */
  limitHeaders: Record<string, string>;
  /** How many calls of this HTTP request were replays: the handler then sets Idempotent-Replayed. */
  replays: { count: number };
  /** Set when a call waited as `Prefer: wait=N` asked: the handler then sets Preference-Applied. */
  preferenceApplied: { value: string | null };
}

/** Request-free: tests build one from headers and an App, and call procedures through createCaller. */
export function createContext(opts: { headers: Headers; app: App; requestId?: string }): Context {
  const requestId = opts.requestId ?? (opts.headers.get("x-request-id")?.slice(0, 128) || randomUUID());
  return {
    app: opts.app,
    headers: opts.headers,
    clientAddress: clientAddress(opts.headers, opts.app.config.TRUSTED_PROXIES),
    requestId,
    log: logger.child({ requestId, via: "trpc" }),
    limitHeaders: {},
    replays: { count: 0 },
    preferenceApplied: { value: null },
  };
}
