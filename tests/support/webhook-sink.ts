import http from "node:http";
import type { AddressInfo } from "node:net";
import { poll } from "@/fixtures";

/** One POST as the sink received it: the raw body is what a signature is checked against. */
export interface Received {
  rawBody: string;
  headers: http.IncomingHttpHeaders;
  signature: string;
  /** Parsed for convenience; tests that verify signatures use `rawBody`. */
  event: { id: string; type: string; created: number; data: { object: Record<string, unknown> }; request: { id: null; idempotency_key: string | null } };
  /** Date.now() when the body had arrived. */
  at: number;
  /** What the sink answered (0: it hung). */
  answered: number;
}

export type SinkBehaviour = { kind: "ok" } | { kind: "fail"; status: number; times: number } | { kind: "hang" };

export interface WebhookSink {
  url: string;
  received: Received[];
  /** Answer `status` to the next `times` deliveries, then 200 again. */
  failNext(times: number, status?: number): void;
  /** Never answer (until `answer()` or close): the sender's timeout is what ends it. */
  hang(): void;
  answer(): void;
  /** Deliveries of one event (duplicates included), in arrival order. */
  deliveriesOf(eventId: string): Received[];
  /** Waits until some delivered event satisfies `match`, and returns the first such delivery. */
  waitFor(match: (r: Received) => boolean, timeoutMs?: number): Promise<Received>;
  close(): Promise<void>;
}

/** A real HTTP receiver on a free port, recording exactly what arrives; no mocking of the sender. */
export async function startWebhookSink(path = "/api/v1/webhooks/provider"): Promise<WebhookSink> {
  const received: Received[] = [];
  let behaviour: SinkBehaviour = { kind: "ok" };
  const hanging = new Set<http.ServerResponse>();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const rawBody = Buffer.concat(chunks).toString("utf8");
      let status = 200;
      if (behaviour.kind === "fail") {
        status = behaviour.status;
        if (--behaviour.times <= 0) behaviour = { kind: "ok" };
      } else if (behaviour.kind === "hang") status = 0;
      if (req.method !== "POST" || req.url !== path) status = 404;
      const signature = req.headers["stripe-signature"];
      received.push({
        rawBody,
        headers: req.headers,
        signature: typeof signature === "string" ? signature : "",
        event: safeParse(rawBody) as Received["event"],
        at: Date.now(),
        answered: status,
      });
      if (status === 0) {
        hanging.add(res);
        return;
      }
      res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify({ received: status === 200 }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  const deliveriesOf = (eventId: string) => received.filter((r) => r.event?.id === eventId);
  return {
    url: `http://127.0.0.1:${port}${path}`,
    received,
    failNext(times, status = 500) {
      behaviour = { kind: "fail", status, times };
    },
    hang() {
      behaviour = { kind: "hang" };
    },
    answer() {
      behaviour = { kind: "ok" };
      for (const res of hanging) res.writeHead(200).end();
      hanging.clear();
    },
    deliveriesOf,
    waitFor(match, timeoutMs = 15_000) {
      return poll(() => received.find(match), {
        timeoutMs,
        intervalMs: 50,
        message: () => `no matching webhook arrived; got ${received.map((r) => `${r.event?.type}:${r.event?.id}`).join(" ") || "nothing"}`,
      });
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
