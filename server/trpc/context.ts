import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { App } from "../app";
import type { Authenticator } from "../auth/merchant";
import type { Database } from "../db/client";
import type { CallPipeline } from "@oncepay/idempotency";
import type { Sql } from "../db/sql";
import { clientAddress } from "../http/client-address";
import { logger } from "../observability/logger";

/** What every procedure gets: resolvers use `ctx.db` and `ctx.calls`, never a client of their own. */
export interface Context {
  headers: Headers;
  /** The client's address (server/http/client-address.ts), for per-address limits. */
  clientAddress: string;
  requestId: string;
  log: Logger;
  db: Database;
  auth: Authenticator;
  /** Merchants' request rate (`admit`), counted right after authentication. */
  limits: App["limits"];
  /** Headers a limit adds to the HTTP response (Retry-After, RateLimit): the handler sets them. */
  limitHeaders: Record<string, string>;
  /** The idempotent-call pipeline (the engine behind it). */
  calls: CallPipeline<Sql>;
  operations: App["operations"];
  /** The event path's workers: their mode, and replays. */
  events: App["events"];
  /** Who may call the operator procedures. */
  operators: App["operators"];
  faultInjection: boolean;
  /** The payment provider's base URL (the simulator in development), if one is configured. */
  providerUrl: string | undefined;
  /** How many calls of this HTTP request were replays: the handler then sets Idempotent-Replayed. */
  replays: { count: number };
  /** Set when a call waited as `Prefer: wait=N` asked: the handler then sets Preference-Applied. */
  preferenceApplied: { value: string | null };
}

/** Request-free: tests build one from headers and an App, and call procedures through createCaller. */
export function createContext(opts: { headers: Headers; app: App; requestId?: string }): Context {
  const requestId = opts.requestId ?? (opts.headers.get("x-request-id")?.slice(0, 128) || randomUUID());
  return {
    headers: opts.headers,
    clientAddress: clientAddress(opts.headers, opts.app.config.TRUSTED_PROXIES),
    requestId,
    log: logger.child({ requestId, via: "trpc" }),
    db: opts.app.db,
    auth: opts.app.auth,
    limits: opts.app.limits,
    limitHeaders: {},
    calls: opts.app.calls,
    operations: opts.app.operations,
    events: opts.app.events,
    operators: opts.app.operators,
    faultInjection: opts.app.config.FAULT_INJECTION,
    providerUrl: opts.app.config.PROVIDER_URL,
    replays: { count: 0 },
    preferenceApplied: { value: null },
  };
}
