import { signatureHeader } from "./payload";

/** One HTTP attempt's result: a status when the receiver answered, otherwise why not. */
export type PostOutcome = { status: number; error?: undefined; durationMs: number } | { status?: undefined; error: string; durationMs: number };

export const isSuccess = (outcome: PostOutcome) => outcome.status !== undefined && outcome.status >= 200 && outcome.status < 300;

/** POSTs a signed event. Signed at send time, as Stripe does, so a late retry is not outside the receiver's tolerance. */
export async function postEvent(url: string, body: string, secret: string, timeoutMs: number, stop: AbortSignal): Promise<PostOutcome> {
  const started = Date.now();
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        "Stripe-Signature": signatureHeader(body, secret),
      },
      body,
      signal: AbortSignal.any([stop, AbortSignal.timeout(timeoutMs)]),
    });
    // Drained so the connection is reusable; what the receiver says is not read.
    await res.arrayBuffer().catch(() => undefined);
    return { status: res.status, durationMs: Date.now() - started };
  } catch (error) {
    const reason = error instanceof Error && error.name === "TimeoutError" ? `timeout after ${timeoutMs} ms` : describe(error);
    return { error: reason, durationMs: Date.now() - started };
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `${error.name}: ${error.message}${cause}`;
}
