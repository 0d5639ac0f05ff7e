import { describe, expect, inject, it } from "vitest";
import { newKey, poll } from "@/fixtures";
import { expectProblemShape } from "@/tests/support/api";
import { useOwnStack, type StackKind } from "@/tests/support/own-stack";

const BODY = { amount: 2500, currency: "usd" };
/** Held in flight (after the claim, before the transaction) long enough to look at the cap. */
const SLOW = { "simulate-failure": "delay=2000" };

const STACKS: { name: string; kind: StackKind; redis: boolean }[] = [
  { name: "embedded", kind: "embedded", redis: false },
  { name: "PostgreSQL", kind: "postgres", redis: false },
  { name: "PostgreSQL with Redis", kind: "postgres", redis: true },
];

/** MERCHANT_MAX_IN_FLIGHT (contract: "Limits"): a fresh claim beyond it is 429 and saves nothing. */
describe.each(STACKS)("MERCHANT_MAX_IN_FLIGHT ($name)", ({ kind, redis }) => {
  const stack = useOwnStack({
    kind,
    serverEnv: { MERCHANT_MAX_IN_FLIGHT: "2" },
    before: () => Promise.resolve<Record<string, string>>(redis ? { REDIS_URL: inject("redisUrl") } : {}),
  });

  it("a third fresh key is refused while two are in flight; replays are not; the refused key later executes", async () => {
    const done = newKey();
    expect((await stack.api.pay(BODY, { key: done })).status).toBe(201);
    const slow = [newKey(), newKey()];
    const running = slow.map((key) => stack.api.pay(BODY, { key, headers: SLOW }));
    // Both claimed: a duplicate of each is told its original is in progress.
    for (const key of slow) {
      await poll(async () => (await stack.api.pay(BODY, { key, headers: SLOW })).status === 409, { timeoutMs: 5_000, message: `${key} never claimed` });
    }

    const third = newKey();
    const refused = await stack.api.pay(BODY, { key: third });
    expectProblemShape(refused, 429, "too_many_in_flight");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    // A replay of a completed key is answered at the cap.
    const replay = await stack.api.pay(BODY, { key: done });
    expect(replay.status).toBe(201);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    // The cap is the merchant's own.
    expect((await stack.api.pay(BODY, { key: newKey(), merchant: "bob" })).status).toBe(201);
    // Nothing was saved under the refused key.
    expect(await stack.api.paymentsWithKey(third)).toHaveLength(0);

    expect((await Promise.all(running)).map((r) => r.status)).toEqual([201, 201]);
    const later = await stack.api.pay(BODY, { key: third });
    expect(later.status).toBe(201);
    expect(later.headers.get("idempotent-replayed")).toBeNull();
    expect(await stack.api.paymentsWithKey(third)).toHaveLength(1);
  });

  it("a storm of one key is one claim, whatever the cap", async () => {
    const key = newKey();
    const answers = await Promise.all(Array.from({ length: 30 }, () => stack.api.pay(BODY, { key })));
    expect(answers.filter((a) => a.status === 429)).toHaveLength(0);
    expect(await stack.api.paymentsWithKey(key)).toHaveLength(1);
  });
});
