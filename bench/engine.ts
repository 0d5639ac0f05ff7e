/**
 * The engine micro-benchmark: the payment effect alone (in its own transaction) against the same
 * effect run through the idempotency engine, one call at a time on the same database, so the
 * difference is the engine's own cost: the claim, the completion, and their round trips.
 */
import { randomUUID } from "node:crypto";
import { Bench } from "tinybench";
import { connect } from "../server/db/client";
import { connectRedis, whenReady } from "../server/db/redis";
import { seedMerchants } from "../server/db/seed";
import type { Sql } from "../server/db/sql";
import { fingerprint, IdempotencyEngine } from "@oncepay/idempotency";
import { PostgresStore } from "@oncepay/idempotency/postgres";
import { RedisFastPath } from "@oncepay/idempotency/redis";
import { newId } from "../server/ids";
import { settle, startPayment } from "../server/payments/create-payment";
import { CREATE_PAYMENT, createPaymentOperation } from "../server/payments/operation";
import type { PaymentProvider } from "../server/provider/provider";
import type { CreatePaymentInput } from "../server/payments/schema";
import { deleteByPrefix } from "../tests/support/redis-keys";

export interface LatencyMs {
  mean: number;
  p50: number;
  p99: number;
}

export interface EngineBenchmark {
  bare: LatencyMs;
  wrapped: LatencyMs;
  /** The same, with the Redis fast path in front (a fresh key is one GET miss and one SET more). */
  wrappedWithRedis: LatencyMs | null;
  /** wrapped mean / bare mean: the figure the target is set on. */
  ratio: number;
  /** wrapped p50 / bare p50: the same, without the disk's occasional slow fsync. */
  ratioOfMedians: number;
}

const MERCHANT = "bench_engine";
const INPUT: CreatePaymentInput = { amount: 1000, currency: "usd", description: undefined, customer: undefined };
const ENGINE_OPTIONS = { ttlSeconds: 3600, lockTimeoutSeconds: 30 };

export async function engineBenchmark(databaseUrl: string, redisUrl: string | null, seconds: number): Promise<EngineBenchmark> {
  const db = connect(databaseUrl, 1, true);
  const redis = redisUrl ? connectRedis(redisUrl) : null;
  const prefix = `oncepay-bench:${randomUUID()}:`;
  try {
    if (redis) await whenReady(redis, 2_000);
    await seedMerchants(db.sql, [{ id: MERCHANT, name: MERCHANT, apiKey: `sk_${randomUUID()}` }], { revokeOthers: false });
    const postgres = new PostgresStore(db.sql);
    const wrapped = engineRun(new IdempotencyEngine(postgres, ENGINE_OPTIONS));
    const withRedis = redis && engineRun(new IdempotencyEngine(new RedisFastPath(postgres, redis, { prefix }), ENGINE_OPTIONS));
    const bench = new Bench({ time: seconds * 1000, warmupTime: 500 });
    // The provider answers in-process on both sides: this measures what the engine and its recovery
    // points cost around the same phases, not the network.
    bench.add("bare", async () => {
      const origin = { idempotencyKey: randomUUID(), idempotencyRecordId: randomUUID(), providerKey: randomUUID() };
      const paymentId = await db.sql.transaction((tx) => startPayment(tx, MERCHANT, INPUT, origin));
      const charge = await INSTANT_PROVIDER.charge({
        paymentId,
        amount: INPUT.amount,
        currency: INPUT.currency,
        customer: null,
        idempotencyKey: origin.providerKey,
      });
      await db.sql.transaction((tx) => settle(tx, MERCHANT, paymentId, charge));
    });
    bench.add("wrapped", wrapped);
    if (withRedis) bench.add("wrappedWithRedis", withRedis);
    await bench.run();
    const stats = (name: string): LatencyMs | null => {
      const result = bench.getTask(name)?.result;
      if (!result || !("latency" in result)) return null;
      const round = (ms: number) => Math.round(ms * 1000) / 1000;
      return { mean: round(result.latency.mean), p50: round(result.latency.p50), p99: round(result.latency.p99) };
    };
    const bare = stats("bare");
    const wrappedStats = stats("wrapped");
    if (!bare || !wrappedStats) throw new Error("engine benchmark: a task did not finish");
    return {
      bare,
      wrapped: wrappedStats,
      wrappedWithRedis: stats("wrappedWithRedis"),
      ratio: +(wrappedStats.mean / bare.mean).toFixed(2),
      ratioOfMedians: +(wrappedStats.p50 / bare.p50).toFixed(2),
    };
  } finally {
    if (redis) {
      await deleteByPrefix(redis, prefix).catch(() => undefined);
      redis.disconnect();
    }
    await db.pool.end();
  }
}

const INSTANT_PROVIDER: PaymentProvider = {
  charge: () => Promise.resolve({ status: "succeeded", providerPaymentId: newId("pi") }),
  refund: () => Promise.resolve({ status: "succeeded", providerRefundId: newId("re") }),
  findCharge: () => Promise.resolve(null),
  findRefund: () => Promise.resolve(null),
};
const OPERATION = createPaymentOperation(INSTANT_PROVIDER);

function engineRun(engine: IdempotencyEngine<Sql>) {
  return async () => {
    await engine.run({
      scope: MERCHANT,
      operation: CREATE_PAYMENT,
      key: randomUUID(),
      fingerprint: fingerprint(INPUT),
      input: INPUT,
      steps: (steps, execution) => OPERATION.steps(steps, { scope: MERCHANT, input: INPUT, execution }),
      execute: (tx, execution, prepared) => OPERATION.effect(tx, { scope: MERCHANT, prepared }),
    });
  };
}
