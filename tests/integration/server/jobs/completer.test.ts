import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newKey, poll } from "@/fixtures";
import { apiClient, type ApiClient } from "@/tests/support/api";
import { intentsFor } from "@/tests/support/provider-ledger";
import { startSimulatorProcess, type SimulatorProcess } from "@/fixtures/simulator-process";
import { expectReconciled } from "@/tests/support/reconcile";
import { createScratchDatabase, type ScratchDatabase } from "@/tests/support/scratch-db";
import { startServer, type ServerProcess } from "@/fixtures/server-process";

const BODY = { amount: 2700, currency: "usd" };
// A lease shorter than the SDK's retries (about 1.5 s) would let the completer finish the charge
// while the first request still retries, and that request would then answer with the payment.
const QUICK = { IDEMPOTENCY_LOCK_TIMEOUT_SECONDS: "1", COMPLETER_INTERVAL_SECONDS: "0.5", PROVIDER_MAX_NETWORK_RETRIES: "0" };

/** With no retry, the completer finishes what a timeout or a crash left: within the lease plus its interval. */
describe("the completer", () => {
  let provider: SimulatorProcess;
  let database: ScratchDatabase;
  let servers: ServerProcess[] = [];
  let api: ApiClient;
  beforeAll(async () => {
    [provider, database] = await Promise.all([startSimulatorProcess(), createScratchDatabase()]);
    // Two instances on one database: both sweep, and each record is still finished once.
    servers = await Promise.all([0, 1].map(() => startServer({ databaseUrl: database.url, env: { ...QUICK, PROVIDER_URL: provider.url } })));
    api = apiClient(servers[0]!.url);
  });
  afterAll(async () => {
    try {
      await expectReconciled(provider.url, [{ url: database.url }]);
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
      await provider.stop();
      await database.drop();
    }
  });

  it("finishes a charge whose answer was lost, and the client's late retry gets the replay", async () => {
    const key = newKey();
    const lost = await api.pay(BODY, { key, headers: { "simulate-failure": "provider-timeout-after-charge" } });
    expect(lost.body.code).toBe("provider_unavailable");
    const [processing] = await api.paymentsWithKey(key);
    const started = Date.now();
    const done = await poll(
      async () => {
        const res = await api.request(`/api/v1/payments/${processing!.id}`);
        return res.body.status === "succeeded" && res;
      },
      { timeoutMs: 15_000, intervalMs: 100, message: "the completer never finished the payment" },
    );
    console.log(`completer finished a lost charge ${Date.now() - started} ms after the 5xx`);
    expect(await intentsFor(provider.url, processing!.id)).toEqual([expect.objectContaining({ id: done.body.providerPaymentId })]);
    const late = await apiClient(servers[1]!.url).pay(BODY, { key });
    expect(late.status).toBe(201);
    expect(late.headers.get("idempotent-replayed")).toBe("true");
    expect(late.body).toMatchObject({ id: processing!.id, status: "succeeded" });
  });

  it("finishes what a killed server left after the charge", async () => {
    const doomed = await startServer({ databaseUrl: database.url, env: { ...QUICK, PROVIDER_URL: provider.url, ONCEPAY_CRASH_AT: "before:charged" } });
    const key = newKey();
    await apiClient(doomed.url)
      .pay(BODY, { key })
      .catch(() => undefined);
    await doomed.exited;
    const [processing] = await api.paymentsWithKey(key);
    expect(processing?.status).toBe("processing");
    await poll(async () => (await api.request(`/api/v1/payments/${processing!.id}`)).body.status === "succeeded", {
      timeoutMs: 15_000,
      intervalMs: 100,
      message: "the completer never finished the payment",
    });
    expect(await intentsFor(provider.url, processing!.id)).toHaveLength(1);
  });

  it("100 concurrent duplicates across the two instances: one payment, one PaymentIntent", async () => {
    const key = newKey();
    const clients = servers.map((s) => apiClient(s.url));
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) => clients[i % 2]!.pay(BODY, { key, headers: { "simulate-failure": "provider-latency=300" } })),
    );
    expect(answers.every((a) => a.status === 201 || a.status === 409)).toBe(true);
    const paid = await poll(
      async () => {
        const res = await api.pay(BODY, { key });
        return res.status === 201 && res;
      },
      { timeoutMs: 10_000, message: "never completed" },
    );
    expect(await api.paymentsWithKey(key)).toHaveLength(1);
    expect(await intentsFor(provider.url, paid.body.id)).toHaveLength(1);
  });
});
