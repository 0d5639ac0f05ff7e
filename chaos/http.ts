import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import { API_KEYS, type MerchantName } from "@/fixtures";
import type { AppRouter } from "@/server/trpc/routers/_app";
import type { Status } from "./history";

/** One answer as a browser sees it: a status (or none), the body, and the headers that steer a retry. */
export interface Answer {
  status: Status;
  body?: { id?: unknown; amount?: unknown; currency?: unknown; providerPaymentId?: unknown; code?: unknown };
  /** Seconds, from `Retry-After`. */
  retryAfter?: number;
  replayed: boolean;
  /** The server waited for the original (`Preference-Applied: wait=N`) rather than answering 409. */
  waited?: boolean;
}

export interface Send {
  merchant: MerchantName;
  key: string;
  body: Record<string, unknown>;
  headers: Record<string, string>;
  /** A reload aborts it. */
  signal?: AbortSignal;
}

/** No request waits longer: a hung instance or database is a failed request the client retries. */
const REQUEST_TIMEOUT_MS = 20_000;

function signalFor(send: Send): AbortSignal {
  const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  return send.signal ? AbortSignal.any([send.signal, timeout]) : timeout;
}

function failure(send: Send): Answer {
  if (send.signal?.aborted) return { status: "dropped", replayed: false };
  return { status: "network", replayed: false };
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === "TimeoutError" || (error.cause instanceof Error && error.cause.name === "TimeoutError"));
}

function retryAfter(headers: Headers): number | undefined {
  const value = Number(headers.get("retry-after"));
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

function steering(headers: Headers): Pick<Answer, "retryAfter" | "replayed" | "waited"> {
  return {
    retryAfter: retryAfter(headers),
    replayed: headers.get("idempotent-replayed") === "true",
    waited: headers.get("preference-applied")?.startsWith("wait=") ?? false,
  };
}

/** POST a JSON body with an Idempotency-Key, as `curl` or an SDK would. */
export async function postJson(baseUrl: string, path: string, send: Send): Promise<Answer> {
  try {
    const res = await fetch(`${baseUrl}${path}`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${API_KEYS[send.merchant]}`,
        "content-type": "application/json",
        "idempotency-key": send.key,
        ...send.headers,
      },
      body: JSON.stringify(send.body),
      signal: signalFor(send),
    });
    const text = await res.text();
    let body: Answer["body"];
    try {
      body = JSON.parse(text) as Answer["body"];
    } catch {
      body = undefined;
    }
    return { status: res.status, body, ...steering(res.headers) };
  } catch (error) {
    if (isTimeout(error)) return { status: "timeout", replayed: false };
    return failure(send);
  }
}

/** `payment.create` through the typed tRPC client, as the checkout calls it; the key travels in the input. */
export async function createPaymentViaTrpc(baseUrl: string, send: Send): Promise<Answer> {
  let response: Response | undefined;
  const client = createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${baseUrl}/api/trpc`,
        headers: () => ({ authorization: `Bearer ${API_KEYS[send.merchant]}`, ...send.headers }),
        fetch: async (url, init) => (response = await fetch(url, init)),
      }),
    ],
  });
  try {
    const payment = await client.payment.create.mutate(
      { ...(send.body as { amount: number; currency: "usd" }), idempotencyKey: send.key },
      { signal: signalFor(send) },
    );
    return { status: response?.status ?? 200, body: payment, ...(response ? steering(response.headers) : { replayed: false }) };
  } catch (error) {
    if (isTimeout(error)) return { status: "timeout", replayed: false };
    // An HTTP answer (a problem, or the balancer's 502 whose body tRPC cannot read) has its status; no answer has none.
    if (error instanceof TRPCClientError && response) {
      const code = (error.data as { problem?: { code?: unknown } } | undefined)?.problem?.code;
      return { status: response.status, body: { code }, ...steering(response.headers) };
    }
    return failure(send);
  }
}
