import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newKey } from "@/fixtures";
import { createApp, type App } from "@/server/app";
import { env } from "@/server/env";
import { statement } from "@/server/db/sql";
import { ProblemError } from "@/server/problem";
import { createContext } from "@/server/trpc/context";
import { createCallerFactory } from "@/server/trpc/init";
import { appRouter } from "@/server/trpc/routers/_app";
import { authorization } from "@/tests/support/api";
import { createScratchDatabase, type ScratchDatabase } from "@/tests/support/scratch-db";

const PAYMENTS_OF_KEY = statement("test_payments_of_key", "SELECT count(*)::int AS n FROM payments WHERE merchant_id = $1 AND idempotency_key = $2");

// In-process, no HTTP: what a server component or a job would do with the router.
describe("payment.create through createCaller", () => {
  let scratch: ScratchDatabase;
  let app: App;
  const caller = () => createCallerFactory(appRouter)(createContext({ headers: new Headers({ authorization: authorization("alice") }), app }));

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    // No Redis: this app is the database's only client, so what it answers is what the database holds.
    app = await createApp({ ...env, DATABASE_URL: scratch.url, REDIS_URL: undefined });
  });
  afterAll(async () => {
    await app?.close();
    await scratch?.drop();
  });

  it("executes once per key: the second call is the replay, and one payment exists", async () => {
    const key = newKey();
    const input = { idempotencyKey: key, amount: 2500, currency: "usd" as const };
    const first = await caller().payment.create(input);
    expect(first).toMatchObject({ object: "payment", amount: 2500, status: "succeeded", idempotencyKey: key, idempotentReplayed: false });
    const again = await caller().payment.create(input);
    expect(again).toEqual({ ...first, idempotentReplayed: true });
    expect(await app.db.sql.rows(PAYMENTS_OF_KEY, ["alice", key])).toEqual([{ n: 1 }]);
  });

  it("a decline is a TRPCError whose cause is the card_declined problem", async () => {
    const error = await caller()
      .payment.create({ idempotencyKey: newKey(), amount: 700, currency: "usd", customer: "cus_declined" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TRPCError);
    expect(error).toMatchObject({ code: "PAYMENT_REQUIRED" });
    const cause = (error as TRPCError).cause;
    expect(cause).toBeInstanceOf(ProblemError);
    expect((cause as ProblemError).problem).toMatchObject({ code: "card_declined", status: 402 });
  });
});
