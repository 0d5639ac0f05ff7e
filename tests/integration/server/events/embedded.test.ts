import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { newKey, poll, type MerchantName } from "@/fixtures";
import { apiClient } from "../../../support/api";
import { startServer, type ServerProcess } from "@/fixtures/server-process";

const run = promisify(execFile);

interface Summary {
  produced: number;
  mode: string;
  consumers: { name: string; applied: number; duplicates: number; lagEvents: number }[];
  revenue: { version: number; lagEvents: number };
}

// The embedded default: no broker, the consumers read the outbox inside the app's own process, so
// killing the app kills them mid-stream.
describe("events on the embedded database, no NATS", () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "oncepay-events-"));
  let server: ServerProcess;
  const start = async () => (server = await startServer({ dataDir, env: { EVENTS_POLL_MS: "50", EVENTS_LEASE_SECONDS: "1" } }));
  afterAll(() => server?.stop());

  const trpc = async <T>(procedure: string, input: unknown = {}) => {
    const res = await fetch(`${server.url}/api/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify(input))}`);
    return ((await res.json()) as { result: { data: T } }).result.data;
  };
  const caughtUp = () =>
    poll(
      async () => {
        const summary = await trpc<Summary>("events.summary");
        return summary.produced > 0 && summary.consumers.every((c) => c.applied === summary.produced) && summary.revenue.lagEvents === 0 ? summary : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200, message: "the in-process consumers did not catch up" },
    );

  it("applies every event once across a kill -9 of the app, and shrugs at a replay", async () => {
    await start();
    const paid: { id: string; merchant: MerchantName; refunded: boolean }[] = [];
    for (let i = 0; i < 60; i++) {
      const merchant: MerchantName = i % 2 ? "bob" : "alice";
      const key = newKey();
      const body = { amount: 1_000 + i, currency: i % 3 ? "usd" : "eur" };
      if (i === 30) await server.kill().then(start);
      const res = await apiClient(server.url).pay(body, { merchant, key });
      expect(res.status).toBe(201);
      const refunded = i % 3 === 0;
      if (refunded) {
        const refund = await apiClient(server.url).request("/api/v1/refunds", {
          method: "POST",
          merchant,
          headers: { "content-type": "application/json", "idempotency-key": newKey() },
          body: JSON.stringify({ payment: res.body.id, amount: 250 }),
        });
        expect(refund.status).toBe(201);
      }
      paid.push({ id: res.body.id, merchant, refunded });
      // The last payments land while the consumers are still working: the kill takes them mid-stream.
      if (i === 58) await server.kill().then(start);
    }
    const summary = await caughtUp();
    expect(summary.mode).toBe("outbox");
    expect(summary.produced).toBe(paid.length + paid.filter((p) => p.refunded).length);

    // The projection is the ledger: net per merchant and currency equals the balance.
    const days = await trpc<{ merchant: string; currency: string; net: number; count: number }[]>("events.revenue", { days: 2 });
    for (const merchant of ["alice", "bob"] as const) {
      const balance = (await apiClient(server.url).request("/api/v1/balance", { merchant })).body as { available: { currency: string; amount: number }[] };
      const projected = Object.fromEntries(balance.available.map((b) => [b.currency, 0]));
      for (const d of days.filter((d) => d.merchant === merchant)) projected[d.currency] = (projected[d.currency] ?? 0) + d.net;
      expect(projected).toEqual(Object.fromEntries(balance.available.map((b) => [b.currency, b.amount])));
    }
    expect(days.reduce((n, d) => n + d.count, 0)).toBe(paid.length);
    for (const p of paid) {
      const receipt = await apiClient(server.url).request(`/api/v1/payments/${p.id}/receipt`, { merchant: p.merchant });
      expect(receipt.body.version, p.id).toBe(p.refunded ? 2 : 1);
    }

    // A replay from the first event: every consumer gets every event again, and applies none of them.
    const { stdout } = await run(process.execPath, ["--import", "tsx", path.resolve("scripts/events-replay.ts"), "--from", "0"], {
      env: { ...process.env, DATABASE_URL: "", ONCEPAY_URL: server.url, LOG_LEVEL: "warn" },
    });
    expect(stdout).toContain(`"events":${summary.produced}`);
    const after = await trpc<Summary>("events.summary");
    for (const consumer of after.consumers) {
      const before = summary.consumers.find((c) => c.name === consumer.name)!;
      expect(consumer.applied).toBe(before.applied);
      expect(consumer.duplicates).toBe(before.duplicates + summary.produced);
    }
  }, 240_000);
});
