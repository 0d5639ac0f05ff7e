/**
 * The requests `npm run bench` sends: a payment over REST (as curl or an SDK sends it) and over tRPC
 * (as the browser's client sends it: one HTTP POST per mutation, not batched, the key in the input),
 * to Oncepay and to its bench peers, as autocannon loads and as single node:http requests.
 */
import http from "node:http";
import type autocannon from "autocannon";
import { API_KEYS, newKey } from "../fixtures";

const MERCHANT = "alice";
export const BENCH_MERCHANT = MERCHANT;
const HEADERS = { authorization: `Bearer ${API_KEYS[MERCHANT]}`, "content-type": "application/json" };
const INPUT = { amount: 1000, currency: "usd" };
const BODY = JSON.stringify(INPUT);

/** Where a payment goes, and how its key travels. */
export interface PaymentEndpoint {
  path: string;
  /** `header`: Idempotency-Key (REST); `input`: `idempotencyKey` in the JSON (tRPC); `none`: no key at all. */
  key: "header" | "input" | "none";
}

export const ENDPOINTS = {
  rest: { path: "/api/v1/payments", key: "header" },
  trpc: { path: "/api/trpc/payment.create", key: "input" },
  unprotected: { path: "/api/bench/unprotected/payments", key: "none" },
  unprotectedTrpc: { path: "/api/trpc/bench.unprotected.create", key: "none" },
  naive: { path: "/api/bench/naive/payments", key: "header" },
  naiveTrpc: { path: "/api/trpc/bench.naive.create", key: "input" },
  /** The bare node:http naive peer (bench/naive/server.ts). */
  bareNaive: { path: "/payments", key: "header" },
} as const satisfies Record<string, PaymentEndpoint>;

/**
 * Headers and body of one payment request under `key`. The headers are a new object every time:
 * autocannon writes `content-length` into the object it is given, and a shared one would then
 * declare one body's length for another's (the server waits for bytes that never come).
 */
export function paymentRequest(endpoint: PaymentEndpoint, key: string): { headers: Record<string, string>; body: string } {
  switch (endpoint.key) {
    case "header":
      return { headers: { ...HEADERS, "idempotency-key": key }, body: BODY };
    case "input":
      return { headers: { ...HEADERS }, body: JSON.stringify({ ...INPUT, idempotencyKey: key }) };
    case "none":
      return { headers: { ...HEADERS }, body: BODY };
  }
}

/** autocannon: a new key per request (fresh), or always `replayKey` (replays of one completed payment). */
export function paymentLoad(baseUrl: string, endpoint: PaymentEndpoint, replayKey?: string): autocannon.Options {
  const url = `${baseUrl}${endpoint.path}`;
  if (replayKey !== undefined) return { url, method: "POST", ...paymentRequest(endpoint, replayKey) };
  return {
    url,
    requests: [{ method: "POST", setupRequest: (r: object) => ({ ...r, ...paymentRequest(endpoint, newKey()) }) }],
  };
}

// Keep-alive sockets enough for a whole storm: node:http costs the client half what fetch does,
// and the storm should time the server, not the client.
export const AGENT = new http.Agent({ keepAlive: true, maxSockets: 256 });

const ANSWER_TIMEOUT_MS = 60_000;

/** One payment request; resolves to its HTTP status. */
export function pay(baseUrl: string, endpoint: PaymentEndpoint, key: string): Promise<number> {
  const { headers, body } = paymentRequest(endpoint, key);
  return new Promise((resolve, reject) => {
    const req = http.request(`${baseUrl}${endpoint.path}`, { method: "POST", agent: AGENT, headers }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    // No answer at all is a broken run, not a slow one: fail it rather than wait for ever.
    req.setTimeout(ANSWER_TIMEOUT_MS, () => req.destroy(new Error(`bench: no answer from ${endpoint.path} within ${ANSWER_TIMEOUT_MS} ms`)));
    req.end(body);
  });
}
