import { statement, type Sql } from "../db/sql";
import type { Consumer } from "../events/consumer";
import { addressOf, canonicalBytes, receiptOf } from "./document";

// Content-addressed: a document produced again is the same bytes, so the same row, stored once.
const STORE = statement("receipt_store", "INSERT INTO receipt_documents (sha256, body) VALUES ($1, $2) ON CONFLICT (sha256) DO NOTHING");
const VERSION = statement(
  "receipt_version",
  "INSERT INTO receipts (payment_id, version, sha256, event_id) VALUES ($1, $2::int, $3, $4) ON CONFLICT (payment_id, version) DO NOTHING",
);

export const RECEIPTS = "receipts";

/** Stores a receipt for each succeeded payment, and a new version for each refund. */
export const receiptsConsumer: Consumer = {
  name: RECEIPTS,
  async apply(tx: Sql, event) {
    const document = receiptOf(event);
    if (!document) return;
    const bytes = canonicalBytes(document);
    const sha256 = addressOf(bytes);
    await tx.count(STORE, [sha256, bytes]);
    await tx.count(VERSION, [document.payment.id, document.version, sha256, event.id]);
  },
};
