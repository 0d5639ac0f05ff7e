import Stripe from "stripe";
import { nanoid } from "nanoid";
import pg from "pg";

export const DEV_SECRET = "whsec_oncepay_dev";

/** A provider event as the simulator (or Stripe) sends it. */
export function providerEvent(type: string, object: Record<string, unknown>, id = `evt_${nanoid(24)}`) {
  return { id, object: "event", type, created: Math.floor(Date.now() / 1000), livemode: false, data: { object } };
}

/** POSTs `body` (an event, or raw text) to the receiver, signed with `secret` unless told otherwise. */
export async function deliver(
  baseUrl: string,
  body: unknown,
  options: { secret?: string; timestamp?: number; signature?: string | null; tamper?: (raw: string) => string } = {},
): Promise<{ status: number; headers: Headers; text: string }> {
  const raw = typeof body === "string" ? body : JSON.stringify(body);
  const header =
    options.signature === undefined
      ? Stripe.webhooks.generateTestHeaderString({ payload: raw, secret: options.secret ?? DEV_SECRET, timestamp: options.timestamp })
      : options.signature;
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (header !== null) headers["stripe-signature"] = header;
  const res = await fetch(`${baseUrl}/api/v1/webhooks/provider`, { method: "POST", headers, body: options.tamper ? options.tamper(raw) : raw });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** What the receiver recorded of an event: whether it was applied, and why not. */
export async function webhookNote(databaseUrl: string, eventId: string): Promise<{ applied: boolean; note: string | null; awaiting: boolean } | undefined> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ applied: boolean; note: string | null; awaiting: boolean }>(
      "SELECT applied, note, awaiting FROM webhook_events WHERE id = $1",
      [eventId],
    );
    return rows[0];
  } finally {
    await client.end();
  }
}
