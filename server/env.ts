import { z } from "zod";
import { DEFAULT_BOUNDS } from "./db/bounds";
import { DEMO_MERCHANTS } from "./demo-merchants";
import { parseMerchants, type ConfiguredMerchant } from "./merchants-config";

// `ONCEPAY_MERCHANTS`: "id:secretKey[:publishableKey],…" (server/merchants-config.ts). Its errors
// name an entry's position and id, never a key: they are printed when the server refuses to start.
const merchantList = z.string().transform((raw, ctx) => {
  const parsed = parseMerchants(raw);
  if (!parsed.ok) {
    ctx.addIssue({ code: "custom", message: parsed.error });
    return z.NEVER;
  }
  return parsed.merchants;
});

/** The public development default: accepted in demo mode only. */
export const DEFAULT_WEBHOOK_SECRET = "whsec_oncepay_dev";

/** The bundled simulator (`npm run simulator`). */
export const DEFAULT_PROVIDER_URL = "http://127.0.0.1:12111";

const flag = z.enum(["0", "1", "true", "false"]).transform((v) => v === "1" || v === "true");

const envSchema = z.object({
  // Set by Next: "phase-production-build" while `next build` loads the routes to read their settings.
  NEXT_PHASE: z.string().optional(),
  // Set by Next in the server's processes ("nodejs"); unset in our scripts.
  NEXT_RUNTIME: z.string().optional(),
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  DATABASE_URL: z.string().url().optional(),
  ONCEPAY_DATA_DIR: z.string().min(1).default(".data"),
  ONCEPAY_MERCHANTS: merchantList.optional(),
  ONCEPAY_DEMO: flag.default(false),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).optional(),
  // How long anything waits on the database (server/db/bounds.ts): a hung one is answered 503, not waited for.
  DATABASE_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(DEFAULT_BOUNDS.connectMs),
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(DEFAULT_BOUNDS.statementMs),
  DATABASE_TRANSACTION_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(DEFAULT_BOUNDS.transactionMs),
  REDIS_URL: z.string().url().optional(),
  FAULT_INJECTION: flag.default(false),
  IDEMPOTENCY_TTL_SECONDS: z.coerce.number().int().min(1).default(86_400),
  IDEMPOTENCY_LOCK_TIMEOUT_SECONDS: z.coerce.number().int().min(1).default(30),
  // After this, a payment (or API refund) still unsettled that nobody is finishing is settled from the provider's answer.
  PROCESSING_TIMEOUT_SECONDS: z.coerce.number().int().min(1).default(900),
  // Fractions allowed (tests): retention is compared by the database's clock, in days.
  REQUEST_LOG_RETENTION_DAYS: z.coerce.number().positive().max(365).default(7),
  EVENTS_RETENTION_DAYS: z.coerce.number().positive().max(3_650).default(30),
  // The scheduled jobs (server/jobs/): how often each runs, and how long a dead instance keeps them.
  REAPER_INTERVAL_SECONDS: z.coerce.number().min(0.1).max(3600).default(30),
  CLEANUP_INTERVAL_SECONDS: z.coerce.number().min(0.1).max(86_400).default(60),
  CLEANUP_BATCH: z.coerce.number().int().min(1).max(100_000).default(500),
  JOBS_LEASE_SECONDS: z.coerce.number().min(0.5).max(3_600).default(10),
  // Unset with a STRIPE_SECRET_KEY: Stripe's test mode itself. Otherwise the bundled simulator.
  PROVIDER_URL: z.string().url().optional(),
  STRIPE_SECRET_KEY: z.string().startsWith("sk_").default("sk_test_oncepay"),
  // Timeout × (retries + 1) plus backoff stays under the 30 s lease, so a slow provider call is not taken over.
  PROVIDER_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(8_000),
  PROVIDER_MAX_NETWORK_RETRIES: z.coerce.number().int().min(0).max(10).default(2),
  PROVIDER_WEBHOOK_SECRET: z.string().min(1).default(DEFAULT_WEBHOOK_SECRET),
  // During a rotation, the secret being retired: events signed with either verify.
  PROVIDER_WEBHOOK_SECRET_PREVIOUS: z.string().min(1).optional(),
  COMPLETER_INTERVAL_SECONDS: z.coerce.number().min(0.1).max(3600).default(5),
  // Operators' token (server/operators/): the message never echoes the value.
  ONCEPAY_OPERATOR_TOKEN: z
    .string()
    .min(16, "must be at least 16 characters: a long random string (openssl rand -hex 32)")
    .max(1024, "must be at most 1024 characters")
    .optional(),
  // Test only, honoured with FAULT_INJECTION: kill -9 this process at a recovery point ("charged"),
  // or just before it commits ("before:charged").
  ONCEPAY_CRASH_AT: z
    .string()
    .regex(/^(before:)?[a-z_]+$/)
    .optional(),
  // Unset: no broker; consumers read the outbox in-process.
  NATS_URL: z
    .string()
    .regex(/^(nats|tls|wss?):\/\/\S+$/, "expected nats://host:port")
    .optional(),
  // One stream per database: tests give theirs their own. Subjects: the name, lower case, dotted.
  NATS_STREAM: z
    .string()
    .regex(/^[A-Z][A-Z0-9_]{0,63}$/)
    .default("ONCEPAY_EVENTS"),
  NATS_DUPLICATE_WINDOW_SECONDS: z.coerce.number().min(1).max(86_400).default(120),
  NATS_ACK_WAIT_SECONDS: z.coerce.number().min(1).max(3_600).default(30),
  // Which of the relay and the consumers this process runs ("none": none, for a process of its own).
  EVENT_WORKERS: z
    .string()
    .regex(/^(none|[a-z]+(,[a-z]+)*)$/)
    .default("relay,receipts,revenue")
    .transform((v) => new Set(v === "none" ? [] : v.split(","))),
  // How long a relay or outbox reader that died keeps its batch from the others.
  EVENTS_LEASE_SECONDS: z.coerce.number().min(0.5).max(3_600).default(10),
  EVENTS_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(200),
  // Longer than any transaction stays open after writing its event: see server/events/inbox.ts.
  EVENTS_GRACE_SECONDS: z.coerce.number().int().min(1).max(3_600).default(60),
  // How many reverse proxies in front append to X-Forwarded-For: the client address for per-address limits.
  TRUSTED_PROXIES: z.coerce.number().int().min(0).max(10).default(0),
  // Per merchant, across all instances (server/limits/): requests per second (bursts up to twice
  // that) and keys in flight; 0 turns either off.
  MERCHANT_RATE_LIMIT: z.coerce.number().int().min(0).max(1_000_000).default(1000),
  MERCHANT_MAX_IN_FLIGHT: z.coerce.number().int().min(0).max(1_000_000).default(100),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  // `npm run bench` only: serves the unprotected and naive payment flows (server/bench-peers/) beside
  // the real one, so that their costs compare in one server. Unset, they do not exist (404).
  ONCEPAY_BENCH_PEERS: flag.default(false),
});

/** How many times the longest a key may stay unsettled its retention must be: "comfortably above". */
export const TTL_MARGIN = 2;

/** Settings each valid alone that together would break a promise; the server refuses to start with them. */
const checkedSchema = envSchema.superRefine((e, ctx) => {
  // Anyone could sign webhooks with a secret printed in the docs: only a demo server may keep it.
  // Only the server receives webhooks: not refused by the build, which loads this module too but
  // runs nothing, nor by the scripts (migrations, workers, benchmarks), which receive none.
  const server = e.NEXT_RUNTIME !== undefined && e.NEXT_PHASE !== "phase-production-build";
  if (server && !e.ONCEPAY_DEMO && e.PROVIDER_WEBHOOK_SECRET === DEFAULT_WEBHOOK_SECRET) {
    ctx.addIssue({
      code: "custom",
      path: ["PROVIDER_WEBHOOK_SECRET"],
      message:
        "PROVIDER_WEBHOOK_SECRET is the public development default: set PROVIDER_WEBHOOK_SECRET to your provider's webhook signing secret (or ONCEPAY_DEMO=1 for a demo)",
    });
  }
  // The outbox's safe point passes events older than the grace period, trusting that no transaction
  // (nor autocommit statement) of ours is open that long: the bounds must enforce it.
  for (const name of ["DATABASE_TRANSACTION_TIMEOUT_MS", "DATABASE_STATEMENT_TIMEOUT_MS"] as const) {
    if (e[name] >= e.EVENTS_GRACE_SECONDS * 1000) {
      ctx.addIssue({ code: "custom", path: [name], message: `must be below EVENTS_GRACE_SECONDS (${e.EVENTS_GRACE_SECONDS} s): see server/events/inbox.ts` });
    }
  }
  // Could charge twice: a record past a recovery point outlives its TTL until it settles, but the
  // rest of a key's life is judged by the TTL. Kept well beyond the lease and the processing
  // timeout, a retry or the reaper always finds the record, never a fresh key that would charge
  // again under a new provider key.
  const longest = Math.max(e.IDEMPOTENCY_LOCK_TIMEOUT_SECONDS, e.PROCESSING_TIMEOUT_SECONDS);
  if (e.IDEMPOTENCY_TTL_SECONDS < TTL_MARGIN * longest) {
    ctx.addIssue({
      code: "custom",
      path: ["IDEMPOTENCY_TTL_SECONDS"],
      message: `IDEMPOTENCY_TTL_SECONDS (${e.IDEMPOTENCY_TTL_SECONDS}) must be at least ${TTL_MARGIN} × max(IDEMPOTENCY_LOCK_TIMEOUT_SECONDS, PROCESSING_TIMEOUT_SECONDS) = ${TTL_MARGIN * longest}`,
    });
  }
  if (e.PROCESSING_TIMEOUT_SECONDS < e.IDEMPOTENCY_LOCK_TIMEOUT_SECONDS) {
    ctx.addIssue({
      code: "custom",
      path: ["PROCESSING_TIMEOUT_SECONDS"],
      message: `PROCESSING_TIMEOUT_SECONDS (${e.PROCESSING_TIMEOUT_SECONDS}) must be at least IDEMPOTENCY_LOCK_TIMEOUT_SECONDS (${e.IDEMPOTENCY_LOCK_TIMEOUT_SECONDS}): a payment is only abandoned once its lease has run out`,
    });
  }
});

export type Env = z.infer<typeof envSchema> & {
  /** Every merchant whose keys work: the demo ones in demo mode, then the configured ones (which win on the same id). */
  merchants: ConfiguredMerchant[];
};

function load(): Env {
  // Empty strings count as unset: `FOO= npm start` should mean the default, not a parse error.
  const raw = Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== ""));
  const parsed = checkedSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`Invalid environment:\n${redact(z.prettifyError(parsed.error), raw)}`);
  }
  const configured = parsed.data.ONCEPAY_MERCHANTS ?? [];
  const demo = parsed.data.ONCEPAY_DEMO ? DEMO_MERCHANTS.filter((d) => !configured.some((m) => m.id === d.id)) : [];
  const demoKeys = new Set<string>(demo.flatMap((d) => [d.apiKey, d.publishableKey]));
  const reused = configured.find((m) => demoKeys.has(m.apiKey) || (m.publishableKey !== undefined && demoKeys.has(m.publishableKey)));
  if (reused) throw new Error(`Invalid environment:\nONCEPAY_MERCHANTS entry "${reused.id}": a key is also a demo merchant's`);
  const providerUrl = parsed.data.PROVIDER_URL ?? (raw.STRIPE_SECRET_KEY ? undefined : DEFAULT_PROVIDER_URL);
  return { ...parsed.data, PROVIDER_URL: providerUrl, merchants: [...demo, ...configured] };
}

// Variables whose values are secrets, whole or in pieces ("id:key,id:key"); a URL's password too.
const SENSITIVE = /SECRET|KEY|TOKEN|PASS|CREDS|MERCHANTS/;

/** The message with every secret value of `raw` replaced: a refused setting must not print a key into the logs. */
export function redact(message: string, raw: Record<string, string | undefined>): string {
  const secrets = new Set<string>();
  for (const [name, value] of Object.entries(raw)) {
    if (!value) continue;
    if (SENSITIVE.test(name)) {
      secrets.add(value);
      // A merchant's id (what precedes an entry's first ":") names it in the message and is no secret.
      const ids = name === "ONCEPAY_MERCHANTS" ? new Set(value.split(",").map((entry) => entry.split(":")[0]!.trim())) : new Set<string>();
      for (const piece of value.split(/[\s,:;=]+/)) if (piece.length >= 4 && !ids.has(piece)) secrets.add(piece);
    } else if (name.endsWith("_URL")) {
      try {
        const url = new URL(value);
        // user:pass@, or a lone token@ (NATS): either way what precedes "@" is a credential.
        for (const part of [url.password, url.username]) if (part) secrets.add(part).add(decodeURIComponent(part));
      } catch {
        // Not a URL: the schema says so without printing it.
      }
    }
  }
  let redacted = message;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) redacted = redacted.replaceAll(secret, "[redacted]");
  return redacted;
}

/** The validated configuration; the only reader of process.env in the app. */
export const env: Env = load();
