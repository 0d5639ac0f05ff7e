/**
 * A Stripe-compatible payment provider simulator, for Oncepay's server to call through the official
 * `stripe` SDK (host/port/protocol pointed here). It keeps its own ledger in PGlite, so it outlives
 * Oncepay's restarts and its own (`PROVIDER_DATA_DIR`).
 *
 * Endpoints: POST/GET /v1/payment_intents, GET /v1/payment_intents/search, GET /v1/payment_intents/:id, POST/GET /v1/refunds
 * (form bodies, Bearer sk_… keys), GET /health, and the simulator's own /_simulator/… (simulator.ts:
 * the ledger, disputes, webhook deliveries and chaos) for tests, reconciliation and the dashboard.
 * Every state change's event is delivered as a signed webhook when `webhooks` is set (webhooks/). POSTs follow Stripe's idempotency rules
 * (idempotency.ts). A `Simulate-Failure` header (or PROVIDER_FAULT) injects the failures that make
 * exactly-once hard (faults.ts): the answer lost after the charge, a failure before it, latency.
 * Built on node:http alone: the simulator should not share a framework's bugs with the app.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { PGlite } from "@electric-sql/pglite";
import pino, { type Logger } from "pino";
import { invalidRequest, ProviderError, type Answer } from "./errors";
import type { EventOrigin } from "./events";
import { NO_FAULT, parseFault, type Fault } from "./faults";
import { claim, complete, fingerprint, hashApiKey, inUseError, mismatchError, recoverKeys, release, type IdempotencyScope } from "./idempotency";
import { newId } from "./ids";
import { listPaymentIntents, prepareCreate, retrievePaymentIntent, searchPaymentIntents } from "./payment-intents";
import { listRefunds, prepareRefund } from "./refunds";
import { header, parseForm, readBody, serialize, type Reply } from "./request";
import { simulatorRoute } from "./simulator";
import { openStore, type Queryable } from "./store";
import type { WebhookConfig } from "./webhooks/config";
import { startDispatcher, type Dispatcher } from "./webhooks/dispatcher";

export interface SimulatorOptions {
  /** 0 picks a free port; the running simulator reports the actual one. */
  port: number;
  host?: string;
  /** A directory, or `memory://` for a ledger that dies with the process. */
  dataDir: string;
  /** A fault (faults.ts syntax) for every request without a Simulate-Failure header. */
  defaultFault?: string;
  logger?: Logger;
  /** Where and how to deliver the event outbox; unset means no delivery. */
  webhooks?: WebhookConfig | undefined;
}

export interface RunningSimulator {
  url: string;
  port: number;
  close(): Promise<void>;
}

type Execution = (tx: Queryable, origin: EventOrigin) => Promise<Answer>;

const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function startSimulator(options: SimulatorOptions): Promise<RunningSimulator> {
  const log = options.logger ?? pino({ level: "silent" });
  const defaultFault = options.defaultFault ? parseFault(options.defaultFault) : NO_FAULT;
  const db = await openStore(options.dataDir);
  await recoverKeys(db);
  const dispatcher = options.webhooks && (await startDispatcher(db, options.webhooks, log));
  const inFlight = new Set<Promise<void>>();

  const server = http.createServer((req, res) => {
    const handled = handle(db, dispatcher, log, defaultFault, req, res).catch((error: unknown) => {
      log.error({ err: error }, "request handler failed");
      res.destroy();
    });
    inFlight.add(handled);
    void handled.finally(() => inFlight.delete(handled));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "127.0.0.1", () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(":") ? `[${address}]` : address;

  return {
    url: `http://${host}:${port}`,
    port,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // Requests already executing finish (and commit) before the database closes under them.
      await Promise.allSettled([...inFlight]);
      server.closeAllConnections();
      await closed;
      await dispatcher?.close();
      await db.close();
    },
  };
}

async function handle(
  db: PGlite,
  dispatcher: Dispatcher | undefined,
  log: Logger,
  defaultFault: Fault,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const requestId = newId("req");
  const method = req.method ?? "GET";
  const url = new URL(req.url ?? "/", "http://provider.invalid");
  const path = url.pathname.replace(/\/+$/, "") || "/";
  const context: RequestContext = { db, dispatcher, requestId, method, path, fault: NO_FAULT };
  let reply: Reply;
  try {
    reply = await route(context, defaultFault, req, url);
  } catch (error) {
    if (error instanceof ProviderError) reply = serialize(error.answer());
    else {
      log.error({ err: error, requestId }, "request failed");
      reply = serialize({ status: 500, body: { error: { type: "api_error", message: "An unexpected error occurred in the provider simulator." } } });
    }
  }
  log.debug({ requestId, method, path, status: reply.status, fault: context.fault.kind }, "request");
  if (context.fault.kind === "timeout-after-charge") {
    // Whatever happened is committed; the client just never hears of it.
    req.socket.destroy();
    return;
  }
  // Committed, and its webhook on its way; the answer takes its time.
  if (context.fault.kind === "answer-latency" && context.fault.ms > 0) await sleep(context.fault.ms);
  const idempotencyKey = header(req, "idempotency-key");
  res.writeHead(reply.status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(reply.body),
    "Request-Id": requestId,
    ...(idempotencyKey && method === "POST" && { "Idempotency-Key": idempotencyKey }),
    ...reply.headers,
  });
  res.end(reply.body);
}

interface RequestContext {
  db: PGlite;
  dispatcher: Dispatcher | undefined;
  requestId: string;
  method: string;
  path: string;
  fault: Fault;
}

async function route(context: RequestContext, defaultFault: Fault, req: http.IncomingMessage, url: URL): Promise<Reply> {
  const { db, method, path } = context;
  if (method === "GET" && path === "/health") return serialize({ status: 200, body: { ok: true } });
  if (path.startsWith("/_simulator/")) {
    const reply = await simulatorRoute(db, context.dispatcher, method, path, url, req);
    if (reply) return reply;
  }
  if (!path.startsWith("/v1/")) throw notFound(method, path);

  const apiKey = /^Bearer (sk_\S+)$/.exec(header(req, "authorization") ?? "")?.[1];
  if (!apiKey) {
    throw new ProviderError(401, {
      type: "authentication_error",
      message: "You did not provide a valid API key. Send it as 'Authorization: Bearer sk_…'.",
    });
  }
  const simulate = header(req, "simulate-failure");
  context.fault = simulate === undefined ? defaultFault : parseFault(simulate);
  if (context.fault.kind === "fail-before-charge") {
    throw new ProviderError(500, { type: "api_error", code: "simulated_failure", message: "Simulated failure before the request executed; nothing was done." });
  }

  const body = await readBody(req);
  if (method === "POST") {
    const params = parseForm(body);
    if (path === "/v1/payment_intents") return executeWrite(context, apiKey, req, params, prepareCreate(params));
    if (path === "/v1/refunds") return executeWrite(context, apiKey, req, params, prepareRefund(params));
  }
  if (method === "GET") {
    const params = parseForm(url.search.slice(1));
    if (path === "/v1/payment_intents") return read(context, () => listPaymentIntents(db, params));
    if (path === "/v1/payment_intents/search") return read(context, () => searchPaymentIntents(db, params));
    if (path === "/v1/refunds") return read(context, () => listRefunds(db, params));
    const retrieve = /^\/v1\/payment_intents\/([^/]+)$/.exec(path);
    if (retrieve?.[1]) {
      const id = decodeURIComponent(retrieve[1]);
      return read(context, () => retrievePaymentIntent(db, id));
    }
  }
  throw notFound(method, path);
}

const notFound = (method: string, path: string) =>
  new ProviderError(404, { type: "invalid_request_error", message: `Unrecognized request URL (${method}: ${path}).` });

async function delay(fault: Fault): Promise<void> {
  if (fault.kind === "latency" && fault.ms > 0) await sleep(fault.ms);
}

async function read(context: RequestContext, query: () => Promise<unknown>): Promise<Reply> {
  await delay(context.fault);
  return serialize({ status: 200, body: await query() });
}

/** Business errors thrown while executing are answers like any other (and are saved under the key). */
async function run(execution: Execution, tx: Queryable, origin: EventOrigin): Promise<Reply> {
  try {
    return serialize(await execution(tx, origin));
  } catch (error) {
    if (error instanceof ProviderError) return serialize(error.answer());
    throw error;
  }
}

async function executeWrite(context: RequestContext, apiKey: string, req: http.IncomingMessage, params: unknown, execution: Execution): Promise<Reply> {
  const { db } = context;
  const key = header(req, "idempotency-key")?.trim();
  if (!key) {
    await delay(context.fault);
    const reply = await db.transaction((tx) => run(execution, tx, { idempotencyKey: null }));
    context.dispatcher?.wake();
    return reply;
  }
  if (key.length > MAX_IDEMPOTENCY_KEY_LENGTH) throw invalidRequest(`Idempotency keys can be at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters long.`);
  const scope: IdempotencyScope = {
    apiKeyHash: hashApiKey(apiKey),
    key,
    method: context.method,
    path: context.path,
    fingerprint: fingerprint(context.method, context.path, params),
  };
  const claimed = await claim(db, scope, context.requestId);
  if (claimed.kind === "mismatch") throw mismatchError(key);
  if (claimed.kind === "in_use") throw inUseError();
  if (claimed.kind === "replay") {
    const { status, body, requestId } = claimed.saved;
    return { status, body, headers: { "Idempotent-Replayed": "true", "Original-Request": requestId } };
  }
  try {
    // Never inside a transaction: PGlite has one backend, and every other request would wait.
    await delay(context.fault);
    const reply = await db.transaction(async (tx) => {
      const reply = await run(execution, tx, { idempotencyKey: key });
      await complete(tx, scope, reply.status, reply.body);
      return reply;
    });
    context.dispatcher?.wake();
    return reply;
  } catch (error) {
    // Nothing committed (effects and answer share the transaction), so the key is free again.
    await release(db, scope).catch(() => undefined);
    throw error;
  }
}
