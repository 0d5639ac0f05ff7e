import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { expectAppliedOnce } from "../../../support/event-checks";
import { payAndRefund } from "../../../support/event-load";
import { eventTotals, waitCaughtUp } from "../../../support/event-workers";
import { useOwnStack } from "../../../support/own-stack";

const run = promisify(execFile);

// What the projection must be: computed from scratch over the outbox, per merchant, currency and day.
const FROM_SCRATCH = `
  SELECT merchant_id AS merchant, data->'payment'->>'currency' AS currency, to_char((created_at AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD') AS day,
         sum(CASE WHEN type = 'payment.succeeded' THEN (data->>'amount')::bigint ELSE 0 END)::float8 AS gross,
         sum(CASE WHEN type <> 'payment.succeeded' THEN (data->>'amount')::bigint ELSE 0 END)::float8 AS debits,
         count(*) FILTER (WHERE type = 'payment.succeeded')::int AS count
    FROM events WHERE type <> 'payment.failed' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`;
const LIVE = `
  SELECT d.merchant_id AS merchant, d.currency, to_char(d.day, 'YYYY-MM-DD') AS day, d.gross::float8 AS gross,
         (-(d.refunds + d.disputes))::float8 AS debits, d.count
    FROM revenue_daily d JOIN revenue_versions v ON v.version = d.version AND v.state = 'live' ORDER BY 1, 2, 3`;

describe("npm run projections:rebuild while payments go on", () => {
  const stack = useOwnStack({ serverEnv: { EVENTS_POLL_MS: "50" } });

  it("swaps in a version equal to one computed from scratch, and readers never see a half-built one", async () => {
    await payAndRefund(stack.api, { payments: 300, refundEvery: 4, concurrency: 6 });
    await waitCaughtUp(stack.database.url, ["receipts", "revenue"], { relayed: false });

    // The dashboard's read, as fast as it goes, for the whole rebuild: never empty, never going back.
    const reads: { gross: number; count: number }[] = [];
    let reading = true;
    const reader = (async () => {
      while (reading) {
        const res = await fetch(`${stack.server.url}/api/trpc/events.revenue?input=${encodeURIComponent(JSON.stringify({ days: 2 }))}`);
        const days = ((await res.json()) as { result: { data: { gross: number; count: number }[] } }).result.data;
        reads.push(days.reduce((sum, d) => ({ gross: sum.gross + d.gross, count: sum.count + d.count }), { gross: 0, count: 0 }));
      }
    })();
    const load = payAndRefund(stack.api, { payments: 150, refundEvery: 1_000_000, concurrency: 4 });
    const { stdout } = await run(process.execPath, ["--import", "tsx", path.resolve("scripts/projections-rebuild.ts")], {
      env: { ...process.env, DATABASE_URL: stack.database.url, LOG_LEVEL: "warn" },
    });
    await load;
    reading = false;
    await reader;

    const report = JSON.parse(stdout.slice(stdout.indexOf("{"))) as { version: number; events: number };
    expect(report.version).toBe(2);
    expect(report.events).toBeGreaterThanOrEqual(300);
    expect(reads.length).toBeGreaterThan(10);
    for (let i = 1; i < reads.length; i++) {
      expect(reads[i]!.count, `read ${i} of ${reads.length}`).toBeGreaterThanOrEqual(reads[i - 1]!.count);
      expect(reads[i]!.gross).toBeGreaterThanOrEqual(reads[i - 1]!.gross);
    }
    expect(reads[0]!.count).toBeGreaterThanOrEqual(300);

    await waitCaughtUp(stack.database.url, ["receipts", "revenue", "revenue@v2"], { relayed: false });
    const db = await eventTotals(stack.database.url);
    try {
      expect(await db.query(LIVE)).toEqual(await db.query(FROM_SCRATCH));
      // The retired version's rows and inbox are gone.
      expect(await db.query("SELECT DISTINCT version FROM revenue_daily")).toEqual([{ version: 2 }]);
      expect(await db.inbox("revenue@v1")).toBe(0);
    } finally {
      await db.close();
    }
    await expectAppliedOnce(stack.database.url);
  }, 240_000);

  it("two rebuilds at once end with one live version, equal to the one from scratch", async () => {
    const rebuild = () =>
      run(process.execPath, ["--import", "tsx", path.resolve("scripts/projections-rebuild.ts")], {
        env: { ...process.env, DATABASE_URL: stack.database.url, LOG_LEVEL: "warn" },
      }).then(
        () => "swapped",
        (error: { stderr?: string }) => error.stderr ?? "failed",
      );
    const outcomes = await Promise.all([rebuild(), rebuild()]);
    // The later one retires the earlier one's version; the earlier one, if it gets to its swap, refuses.
    expect(outcomes).toContain("swapped");
    for (const outcome of outcomes) if (outcome !== "swapped") expect(outcome).toContain("superseded");
    const db = await eventTotals(stack.database.url);
    try {
      expect(await db.query("SELECT count(*)::int AS n FROM revenue_versions WHERE state = 'live'")).toEqual([{ n: 1 }]);
      expect(await db.query("SELECT count(*)::int AS n FROM revenue_versions WHERE state = 'building'")).toEqual([{ n: 0 }]);
      expect(await db.query(LIVE)).toEqual(await db.query(FROM_SCRATCH));
    } finally {
      await db.close();
    }
    await expectAppliedOnce(stack.database.url);
  }, 120_000);
});
