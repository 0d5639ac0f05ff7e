import { statement, type Sql } from "../db/sql";
import type { Consumer } from "../events/consumer";
import type { OutboxEvent } from "../events/schema";
import { addressOf, canonicalBytes, receiptOf } from "./document";

// Content-addressed: a document produced again is the same bytes, so the same row, stored once. A
// batch's rows go in one statement each, in key order (two transactions sharing rows lock them in
// one order); a key twice in one statement is inserted once, as it would be one event at a time.
const STORE = statement(
  "receipt_store",
  `INSERT INTO receipt_documents (sha256, body) SELECT * FROM unnest($1::text[], $2::text[]) AS d(sha256, body) ORDER BY sha256
   ON CONFLICT (sha256) DO NOTHING`,
);
const VERSION = statement(
  "receipt_version",
  `INSERT INTO receipts (payment_id, version, sha256, event_id)
   SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::text[]) AS r(payment_id, version, sha256, event_id) ORDER BY payment_id, version
   ON CONFLICT (payment_id, version) DO NOTHING`,
);

export const RECEIPTS = "receipts";

/** Stores a receipt for each succeeded payment, and a new version for each refund. */
export const receiptsConsumer: Consumer = {
  name: RECEIPTS,
  apply: (tx, event) => storeReceipts(tx, [event]),
  applyAll: storeReceipts,
};

async function storeReceipts(tx: Sql, events: readonly OutboxEvent[]): Promise<void> {
  const made = events.flatMap((event) => {
    const document = receiptOf(event);
    if (!document) return [];
    const bytes = canonicalBytes(document);
    return [{ event: event.id, payment: document.payment.id, version: document.version, bytes, sha256: addressOf(bytes) }];
  });
  if (made.length === 0) return;
  await tx.count(STORE, [made.map((m) => m.sha256), made.map((m) => m.bytes)]);
  await tx.count(VERSION, [made.map((m) => m.payment), made.map((m) => m.version), made.map((m) => m.sha256), made.map((m) => m.event)]);
}
