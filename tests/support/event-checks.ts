import { createHash } from "node:crypto";
import { expect } from "vitest";
import { eventTotals } from "./event-workers";

type Row = Record<string, string | number | null>;
const byKey = (rows: Row[]) => Object.fromEntries(rows.map(({ k, v }) => [String(k), Number(v)]));

/**
 * Every movement has one event, and every consumer applied every event once: inboxes hold each
 * event exactly once, the live projection's sums are the ledger's, and each succeeded payment has
 * one receipt version per state it went through, each stored once at its own address.
 */
export async function expectAppliedOnce(databaseUrl: string): Promise<{ events: number; receipts: number }> {
  const db = await eventTotals(databaseUrl);
  try {
    const q = db.query;
    // One event per movement: the ledger's entries and the failed payments.
    const [moves] = await q<Row>(`SELECT (SELECT count(*) FROM ledger_entries)::int AS ledger,
        (SELECT count(*) FROM events WHERE type <> 'payment.failed')::int AS money_events,
        (SELECT count(*) FROM payments WHERE status = 'failed')::int AS failed,
        (SELECT count(*) FROM events WHERE type = 'payment.failed')::int AS failed_events`);
    expect(moves!.money_events).toBe(moves!.ledger);
    expect(moves!.failed_events).toBe(moves!.failed);

    const [live] = await q<{ version: number }>("SELECT version FROM revenue_versions WHERE state = 'live'");
    for (const inbox of ["receipts", "revenue", `revenue@v${live!.version}`]) {
      expect(await db.inbox(inbox), `${inbox}'s inbox`).toBe(db.events);
      const [stray] = await q<Row>(
        "SELECT count(*)::int AS n FROM consumer_inbox i WHERE i.consumer = $1 AND NOT EXISTS (SELECT 1 FROM events e WHERE e.id = i.event_id)",
        [inbox],
      );
      expect(stray!.n).toBe(0);
    }

    // The projection against the ledger and the payments, per merchant and currency.
    const ledger = byKey(await q<Row>("SELECT merchant_id || '/' || currency AS k, sum(amount)::float8 AS v FROM ledger_entries GROUP BY 1"));
    const net = byKey(
      await q<Row>("SELECT merchant_id || '/' || currency AS k, sum(net)::float8 AS v FROM revenue_daily WHERE version = $1 GROUP BY 1", [live!.version]),
    );
    expect(net).toEqual(ledger);
    const paid = byKey(
      await q<Row>("SELECT merchant_id || '/' || currency AS k, sum(amount)::float8 AS v FROM payments WHERE status = 'succeeded' GROUP BY 1"),
    );
    const gross = byKey(
      await q<Row>("SELECT merchant_id || '/' || currency AS k, sum(gross)::float8 AS v FROM revenue_daily WHERE version = $1 GROUP BY 1", [live!.version]),
    );
    expect(gross).toEqual(paid);
    const [counts] = await q<Row>(
      `SELECT (SELECT count(*) FROM payments WHERE status = 'succeeded')::int AS paid,
        (SELECT coalesce(sum(count), 0) FROM revenue_daily WHERE version = $1)::int AS counted`,
      [live!.version],
    );
    expect(counts!.counted).toBe(counts!.paid);

    // Receipts: versions 1..refunds+1 for each succeeded payment, nothing for the rest.
    const wrong = await q<Row>(`SELECT p.id, count(r.version)::int AS versions, coalesce(max(r.version), 0) AS top,
          (SELECT count(*) FROM refunds f WHERE f.payment_id = p.id AND f.status = 'succeeded')::int AS refunds
        FROM payments p LEFT JOIN receipts r ON r.payment_id = p.id
       GROUP BY p.id, p.status
      HAVING count(r.version) <> CASE WHEN p.status = 'succeeded' THEN (SELECT count(*) FROM refunds f WHERE f.payment_id = p.id AND f.status = 'succeeded') + 1 ELSE 0 END
          OR coalesce(max(r.version), 0) <> count(r.version)`);
    expect(wrong).toEqual([]);
    const documents = await q<{ sha256: string; body: string }>("SELECT sha256, body FROM receipt_documents");
    for (const d of documents) expect(createHash("sha256").update(d.body, "utf8").digest("hex")).toBe(d.sha256);
    const [orphans] = await q<Row>("SELECT count(*)::int AS n FROM receipts r WHERE NOT EXISTS (SELECT 1 FROM receipt_documents d WHERE d.sha256 = r.sha256)");
    expect(orphans!.n).toBe(0);
    const [receipts] = await q<Row>("SELECT count(*)::int AS n, count(DISTINCT sha256)::int AS distinct FROM receipts");
    expect(receipts!.distinct).toBe(receipts!.n);
    expect(documents.length).toBe(receipts!.n);
    return { events: db.events, receipts: Number(receipts!.n) };
  } finally {
    await db.close();
  }
}
