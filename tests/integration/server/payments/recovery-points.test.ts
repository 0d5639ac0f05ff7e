import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newKey, poll } from "@/fixtures";
import { PaymentPoint } from "@/server/payments/operation";
import { apiClient } from "@/tests/support/api";
import { intentsFor } from "@/tests/support/provider-ledger";
import { startSimulatorProcess, type SimulatorProcess } from "@/fixtures/simulator-process";
import { expectReconciled, type LocalDatabase } from "@/tests/support/reconcile";
import { createScratchDatabase, type ScratchDatabase } from "@/tests/support/scratch-db";
import { startServer, type ServerOptions } from "@/fixtures/server-process";

const BODY = { amount: 3100, currency: "usd", description: "crash test" };
// A short lease so the retry takes over quickly; the completer is off, so only the retry finishes it.
const CRASHY = { IDEMPOTENCY_LOCK_TIMEOUT_SECONDS: "2", COMPLETER_INTERVAL_SECONDS: "3600" };

/**
 * kill -9 at every recovery point (and just before the charge's point commits, when the provider has
 * charged and nothing local knows it), then a restart on the same database and a retry: one
 * PaymentIntent, one local payment, and the 201 the first attempt would have given. `charged` rides
 * in the final commit, so `before:charged` is the crash between the charge and that commit (the retry
 * asks the provider again under the same derived key), and `charged` a crash right after it.
 */
describe("a server killed at each recovery point, then retried", () => {
  let provider: SimulatorProcess;
  let database: ScratchDatabase;
  const embeddedDirs: string[] = [];
  beforeAll(async () => {
    [provider, database] = await Promise.all([startSimulatorProcess(), createScratchDatabase()]);
  });
  afterAll(async () => {
    const local: LocalDatabase[] = [{ url: database.url }, ...embeddedDirs.map((dataDir) => ({ dataDir }))];
    try {
      await expectReconciled(provider.url, local);
    } finally {
      await provider.stop();
      await database.drop();
    }
  });

  const points = [PaymentPoint.Created, `before:${PaymentPoint.Charged}`, PaymentPoint.Charged];
  const cases = [...points.map((point) => ({ point, where: "postgres" as const })), { point: `before:${PaymentPoint.Charged}`, where: "embedded" as const }];

  it.each(cases)("$point on $where", async ({ point, where }) => {
    const dataDir = where === "embedded" ? mkdtempSync(path.join(os.tmpdir(), "oncepay-crash-")) : undefined;
    if (dataDir) embeddedDirs.push(dataDir);
    const base: ServerOptions = { ...(dataDir ? { dataDir } : { databaseUrl: database.url }), env: { ...CRASHY, PROVIDER_URL: provider.url } };
    const doomed = await startServer({ ...base, env: { ...base.env, ONCEPAY_CRASH_AT: point } });
    const key = newKey();
    const first = await apiClient(doomed.url)
      .pay(BODY, { key })
      .catch((error: unknown) => error);
    expect(first).toBeInstanceOf(Error); // the connection died with the process
    await doomed.exited;

    const server = await startServer(base);
    try {
      const api = apiClient(server.url);
      const started = Date.now();
      const retried = await poll(
        async () => {
          const res = await api.pay(BODY, { key });
          return res.status !== 409 && res;
        },
        { timeoutMs: 20_000, intervalMs: 200, message: "the retry never got past 409" },
      );
      const resumeMs = Date.now() - started;
      expect(retried.status).toBe(201);
      expect(retried.body).toMatchObject({
        ...BODY,
        object: "payment",
        status: "succeeded",
        idempotencyKey: key,
        providerPaymentId: expect.stringMatching(/^pi_/),
      });
      const payments = await api.paymentsWithKey(key);
      expect(payments).toHaveLength(1);
      expect(await intentsFor(provider.url, retried.body.id)).toEqual([expect.objectContaining({ id: retried.body.providerPaymentId, status: "succeeded" })]);
      console.log(`resumed after a crash at ${point} (${where}) in ${resumeMs} ms after restart`);
    } finally {
      await server.stop();
    }
  });
});
