import pg from "pg";
import { poll } from "@/fixtures";

export const NATS_URL = process.env.TEST_NATS_URL ?? "nats://127.0.0.1:4222";

/** A stream name no other suite uses: each test database gets its own. */
export function testStream(name: string): string {
  return `TEST_${name.toUpperCase()}_${Date.now().toString(36).toUpperCase()}`;
}

/** What the event path's tables say, read straight from the database. */
export async function eventTotals(databaseUrl: string) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const one = async <T>(text: string, values: unknown[] = []) => (await client.query(text, values)).rows[0] as T;
    return {
      events: Number((await one<{ n: string }>("SELECT count(*) AS n FROM events")).n),
      unpublished: Number((await one<{ n: string }>("SELECT count(*) AS n FROM events WHERE published_at IS NULL")).n),
      inbox: async (consumer: string) => Number((await one<{ n: string }>("SELECT count(*) AS n FROM consumer_inbox WHERE consumer = $1", [consumer])).n),
      query: async <T>(text: string, values: unknown[] = []) => (await client.query(text, values)).rows as T[],
      close: () => client.end(),
    };
  } catch (error) {
    await client.end();
    throw error;
  }
}

/** Waits until every consumer's inbox holds every event (and, with a broker, the outbox is empty). */
export async function waitCaughtUp(databaseUrl: string, consumers: string[], options: { relayed: boolean; timeoutMs?: number }) {
  await poll(
    async () => {
      const totals = await eventTotals(databaseUrl);
      try {
        if (options.relayed && totals.unpublished > 0) return false;
        for (const consumer of consumers) if ((await totals.inbox(consumer)) !== totals.events) return false;
        return true;
      } finally {
        await totals.close();
      }
    },
    { timeoutMs: options.timeoutMs ?? 90_000, intervalMs: 250, message: "consumers did not catch up with the outbox" },
  );
}
