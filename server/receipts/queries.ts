import { statement, type Sql } from "../db/sql";

const LATEST = statement(
  "receipt_latest",
  `SELECT r.sha256, r.version FROM receipts r JOIN payments p ON p.id = r.payment_id
    WHERE r.payment_id = $1 AND p.merchant_id = $2 ORDER BY r.version DESC LIMIT 1`,
);
const DOCUMENT = statement("receipt_document", "SELECT body FROM receipt_documents WHERE sha256 = $1");

/** Where a payment's newest receipt is; null until the receipts consumer has run. */
export async function latestReceipt(sql: Sql, merchantId: string, paymentId: string) {
  const [row] = await sql.rows<{ sha256: string; version: number }>(LATEST, [paymentId, merchantId]);
  return row ? { sha256: row.sha256, version: row.version, url: `/api/v1/receipts/${row.sha256}` } : null;
}

/** The stored bytes at an address, exactly as hashed. */
export async function receiptDocument(sql: Sql, sha256: string): Promise<string | null> {
  const [row] = await sql.rows<{ body: string }>(DOCUMENT, [sha256]);
  return row?.body ?? null;
}
