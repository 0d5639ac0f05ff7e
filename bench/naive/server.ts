/**
 * The naive peer: check-then-act idempotency as most tutorials teach it, run by the benchmarks
 * only (the app never imports it). It is wrong on purpose. Between the SELECT that finds no key and
 * the INSERT that stores it, the payment commits in a transaction of its own; concurrent duplicates
 * all run the SELECT before any of them INSERTs, so all of them miss and all of them charge. The
 * ON CONFLICT DO NOTHING only hides this: the losers' keys are dropped quietly, their charges stay.
 *
 * Authentication, validation, the payment and the pool are the app's own, so that the benchmark
 * compares idempotency algorithms and nothing else.
 *
 * `DATABASE_URL=… PORT=… PROVIDER_URL=… [POOL_SIZE=10] npx tsx bench/naive/server.ts`
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { z } from "zod";
import { Authenticator } from "../../server/auth/merchant";
import { connect } from "../../server/db/client";
import { statement } from "../../server/db/sql";
import { MAX_BODY_BYTES } from "@oncepay/idempotency/fetch";
import { idempotencyKeySchema, validationProblem } from "@oncepay/idempotency";
import { settle, startPayment } from "../../server/payments/create-payment";
import { createPaymentInput, type CreatePaymentInput } from "../../server/payments/schema";
import { StripeProvider } from "../../server/provider/stripe";
import { problem, ProblemError, type Problem, problemError } from "../../server/problem";

const settings = z
  .object({
    DATABASE_URL: z.string().url(),
    PORT: z.coerce.number().int().min(1).max(65_535),
    POOL_SIZE: z.coerce.number().int().min(1).default(10),
    PROVIDER_URL: z.string().url(),
  })
  .safeParse(process.env);
if (!settings.success) {
  console.error(`naive peer: invalid environment\n${z.prettifyError(settings.error)}`);
  process.exit(1);
}
const { DATABASE_URL: databaseUrl, PORT: port, POOL_SIZE: poolSize, PROVIDER_URL: providerUrl } = settings.data;
const provider = new StripeProvider({ secretKey: "sk_test_naive", url: providerUrl, timeoutMs: 10_000, maxNetworkRetries: 2 });

const { pool, sql } = connect(databaseUrl, poolSize, true);
const auth = new Authenticator(sql);

const HEALTH = statement("naive_health", "SELECT 1");
const FIND_KEY = statement("naive_find_key", "SELECT status, body FROM naive_idempotency_keys WHERE merchant_id = $1 AND key = $2");
const STORE_KEY = statement(
  "naive_store_key",
  `INSERT INTO naive_idempotency_keys (merchant_id, key, status, body) VALUES ($1, $2, $3, $4)
   ON CONFLICT (merchant_id, key) DO NOTHING`,
);

interface Answer {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

async function handle(req: IncomingMessage): Promise<Answer> {
  const path = (req.url ?? "").split("?")[0];
  if (req.method === "GET" && path === "/health") {
    await sql.rows(HEALTH);
    return { status: 200, body: JSON.stringify({ status: "ok" }) };
  }
  // The app's path too, so that the tests' API client can drive the peer unchanged.
  if (req.method === "POST" && (path === "/payments" || path === "/api/v1/payments")) return pay(req);
  throw problemError("not_found", `No route for ${req.method} ${path}.`);
}

async function pay(req: IncomingMessage): Promise<Answer> {
  const merchant = (await auth.lookup(req.headers.authorization ?? null))?.merchant;
  if (!merchant) throw problemError("unauthorized", "A valid `Authorization: Bearer <api key>` header is required.");
  const rawKey = req.headers["idempotency-key"];
  if (rawKey === undefined) throw problemError("idempotency_key_missing", "The Idempotency-Key header is required.");
  const parsedKey = idempotencyKeySchema.safeParse(rawKey);
  if (!parsedKey.success) throw problemError("idempotency_key_invalid", parsedKey.error.issues[0]?.message ?? "Invalid key");
  const key = parsedKey.data;
  const parsedInput = createPaymentInput.safeParse(await readJson(req));
  if (!parsedInput.success) throw validationProblem(parsedInput.error);

  // (1) Check…
  const [stored] = await sql.rows<{ status: number; body: string }>(FIND_KEY, [merchant.id, key]);
  if (stored) return withType(stored.status, stored.body, { "idempotent-replayed": "true" });

  // (2) …act: every request that got here charges, however many share the key.
  const outcome = await charge(merchant.id, parsedInput.data, key);
  const answer =
    outcome.status === "failed"
      ? problemAnswer(problem("card_declined", "The card was declined.", { payment: outcome.id }))
      : withType(201, JSON.stringify(outcome));

  // (3) …and remember, too late to stop the duplicates already past (1).
  await sql.count(STORE_KEY, [merchant.id, key, answer.status, answer.body]);
  return answer;
}

/** The app's phases, run back to back: the local payment, the provider's charge (a fresh key each time), the outcome. */
async function charge(merchantId: string, input: CreatePaymentInput, key: string) {
  const origin = { idempotencyKey: key, idempotencyRecordId: randomUUID(), providerKey: `naive:${randomUUID()}` };
  const paymentId = await sql.transaction((tx) => startPayment(tx, merchantId, input, origin));
  const answer = await provider.charge({
    paymentId,
    amount: input.amount,
    currency: input.currency,
    customer: input.customer ?? null,
    idempotencyKey: origin.providerKey,
  });
  return sql.transaction(async (tx) => (await settle(tx, merchantId, paymentId, answer)).payment);
}

/** Only status and body are stored; the content type follows from the status, as in the app. */
function withType(status: number, body: string, extra: Record<string, string> = {}): Answer {
  const type = status >= 400 ? "application/problem+json" : "application/json";
  return { status, body, headers: { "content-type": type, ...extra } };
}

function problemAnswer(p: Problem): Answer {
  return withType(p.status, JSON.stringify(p));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw problemError("payload_too_large", `The body exceeds ${MAX_BODY_BYTES} bytes.`);
    chunks.push(buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw problemError("invalid_json", "The request body is not valid JSON.");
  }
}

function send(res: ServerResponse, answer: Answer): void {
  res.writeHead(answer.status, { "content-type": "application/json", ...answer.headers });
  res.end(answer.body);
}

const server = createServer((req, res) => {
  handle(req)
    .catch((error: unknown): Answer => {
      if (error instanceof ProblemError) return problemAnswer(error.problem);
      console.error("naive peer: request failed", error);
      return problemAnswer(problem("internal_error", "The request failed."));
    })
    .then((answer) => send(res, answer))
    // Only writing the answer is left to fail (the client went away): never a reason to crash.
    .catch(() => res.destroy());
});

async function main(): Promise<void> {
  await pool.query(`CREATE TABLE IF NOT EXISTS naive_idempotency_keys (
    merchant_id text,
    key text,
    status int,
    body text,
    created_at timestamptz DEFAULT now(),
    PRIMARY KEY (merchant_id, key)
  )`);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  console.log(`listening ${port}`);
}

let stopping = false;
async function shutdown(): Promise<void> {
  if (stopping) return;
  stopping = true;
  // close() waits for open keep-alive sockets; load generators hold them, so drop them after a grace.
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const grace = setTimeout(() => server.closeAllConnections(), 2_000);
  await closed;
  clearTimeout(grace);
  await pool.end();
}

process.on("SIGTERM", () => {
  shutdown().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error("naive peer: shutdown failed", error);
      process.exit(1);
    },
  );
});

main().catch((error: unknown) => {
  console.error("naive peer: failed to start", error);
  process.exit(1);
});
