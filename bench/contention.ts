/**
 * `npx tsx bench/contention.ts`: the hot balance row against the ledger, alone. One merchant, N
 * concurrent writers (default 1 and 10), each committing one successful payment per transaction
 * (durably, as the app's effect commits), for a few seconds each:
 *
 * - `hot row`: the payment insert and the balance upsert in one data-modifying CTE, the statement
 *   the app ran before issue 10 (every payment updates the merchant's one `balances` row, so
 *   concurrent payments queue on its row lock until the holder's commit is on disk);
 * - `ledger`: the same CTE with an append to `ledger_entries` instead (nothing shared to lock).
 *
 * Same round trips on both sides (BEGIN, one statement, COMMIT), on a scratch copy of today's
 * schema plus the old `balances` table, so the only difference is the hot row. Not part of
 * `npm run bench`. Knobs: CONTENTION_SECONDS (5), CONTENTION_WRITERS ("1,10").
 */
import { randomUUID } from "node:crypto";
import pg from "pg";
import { seedMerchants } from "../server/db/seed";
import { connect } from "../server/db/client";
import { newId } from "../server/ids";
import { createScratchDatabase } from "../tests/support/scratch-db";
import { cpuPerUnit } from "./cpu";

const SECONDS = Number(process.env.CONTENTION_SECONDS ?? 5);
const WRITERS = (process.env.CONTENTION_WRITERS ?? "1,10").split(",").map(Number);
const MERCHANT = "bench_contention";

const PAYMENT = `INSERT INTO payments (id, merchant_id, amount, currency, status, idempotency_key, idempotency_record_id)
  VALUES ($1, $2, $3::int, $4, 'succeeded', $5, $6::uuid) RETURNING id`;
const VARIANTS = {
  "hot row": `WITH payment AS (${PAYMENT}), credit AS (
      INSERT INTO balances (merchant_id, currency, available, updated_at) VALUES ($2, $4, $3::bigint, now())
      ON CONFLICT (merchant_id, currency) DO UPDATE SET available = balances.available + EXCLUDED.available, updated_at = now()
    ) SELECT * FROM payment`,
  ledger: `WITH payment AS (${PAYMENT}), entry AS (
      INSERT INTO ledger_entries (merchant_id, currency, amount, source_type, source_id) VALUES ($2, $4, $3::bigint, 'payment', $1)
      ON CONFLICT (source_type, source_id) DO NOTHING
    ) SELECT * FROM payment`,
};

interface Result {
  variant: string;
  writers: number;
  "tx/s": number;
  "mean ms": number;
  "p99 ms": number;
  "postgres µs/tx": number | string;
}

async function measure(pool: pg.Pool, variant: keyof typeof VARIANTS, writers: number): Promise<Result> {
  const text = VARIANTS[variant];
  const latencies: number[] = [];
  const writer = async (deadline: number) => {
    const client = await pool.connect();
    try {
      while (performance.now() < deadline) {
        const started = performance.now();
        await client.query("BEGIN");
        await client.query({ name: `contention_${variant}`, text, values: [newId("pay"), MERCHANT, 1000, "usd", randomUUID(), randomUUID()] });
        await client.query("COMMIT");
        latencies.push(performance.now() - started);
      }
    } finally {
      client.release();
    }
  };
  const run = async (seconds: number) => {
    const deadline = performance.now() + seconds * 1000;
    await Promise.all(Array.from({ length: writers }, () => writer(deadline)));
  };
  await run(1); // warm-up: connections, prepared statements
  latencies.length = 0;
  await pool.query("CHECKPOINT").catch(() => undefined);
  const { cpuUsPerRequest } = await cpuPerUnit(
    { postgres: { name: "postgres" } },
    () => run(SECONDS),
    () => latencies.length,
  );
  const sorted = [...latencies].sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 100) / 100;
  return {
    variant,
    writers,
    "tx/s": Math.round(latencies.length / SECONDS),
    "mean ms": round(latencies.reduce((a, b) => a + b, 0) / latencies.length),
    "p99 ms": round(sorted[Math.ceil(0.99 * sorted.length) - 1] ?? 0),
    "postgres µs/tx": cpuUsPerRequest?.postgres ?? "",
  };
}

async function main() {
  const db = await createScratchDatabase("oncepay_contention");
  const pool = new pg.Pool({ connectionString: db.url, max: Math.max(...WRITERS) });
  try {
    const seeding = connect(db.url, 1, false);
    await seedMerchants(seeding.sql, [{ id: MERCHANT, name: MERCHANT, apiKey: `sk_${randomUUID()}` }], { revokeOthers: false });
    await seeding.pool.end();
    // The table as it was before issue 10 (prisma/schema.prisma at ab5508f).
    await pool.query(`CREATE TABLE balances (
      merchant_id text NOT NULL REFERENCES merchants (id),
      currency text NOT NULL,
      available bigint NOT NULL DEFAULT 0,
      updated_at timestamptz(3) NOT NULL DEFAULT now(),
      PRIMARY KEY (merchant_id, currency))`);
    const results: Result[] = [];
    // Alternated, so that both meet the same machine.
    for (const writers of WRITERS) {
      for (const variant of ["hot row", "ledger", "hot row", "ledger"] as const) results.push(await measure(pool, variant, writers));
    }
    console.log("One merchant, durable commits, %d s per row", SECONDS);
    console.table(results);
    console.log(JSON.stringify({ schema: "oncepay-contention/1", at: new Date().toISOString(), seconds: SECONDS, results }));
  } finally {
    await pool.end();
    await db.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
