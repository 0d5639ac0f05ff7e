import type { Currency } from "@/server/payments/schema";
import { newIdempotencyKey } from "./key";

/**
 * One checkout attempt and its idempotency key, kept in sessionStorage: a reload in the middle of
 * retries finds the same key, and a new key is made only after a payment succeeds or when what is
 * being paid for changes.
 */
/** One try of the attempt: one request with its key, and how it ended. */
export interface TryLogEntry {
  n: number;
  at: string;
  label: string;
  ok: boolean;
  replayed: boolean;
}

export type AttemptState = "ready" | "running" | "interrupted" | "failed" | "declined" | "paid";

/** The body every try of the attempt sends: always the same, or the server would refuse it (422). */
export interface AttemptRequest {
  amount: number;
  currency: Currency;
  description: string;
  customer?: string;
}

export interface Attempt {
  key: string;
  /** What is paid for: merchant, currency, amount, cart and customer. A change means a new attempt. */
  signature: string;
  /** Sequence number of this checkout in the tab, for the seeded flaky mode. */
  serial: number;
  state: AttemptState;
  request: AttemptRequest;
  log: TryLogEntry[];
}

const ATTEMPT_KEY = "oncepay.attempt";
const SERIAL_KEY = "oncepay.serial";

export function loadAttempt(): Attempt | null {
  try {
    const attempt = JSON.parse(sessionStorage.getItem(ATTEMPT_KEY) ?? "null") as Attempt | null;
    if (!attempt || typeof attempt.key !== "string" || typeof attempt.request?.amount !== "number") return null;
    // A reload while an attempt was on the wire: its outcome is unknown, so it is retried with its key.
    return attempt.state === "running" ? { ...attempt, state: "interrupted" } : attempt;
  } catch {
    return null;
  }
}

export function saveAttempt(attempt: Attempt | null): void {
  if (attempt) sessionStorage.setItem(ATTEMPT_KEY, JSON.stringify(attempt));
  else sessionStorage.removeItem(ATTEMPT_KEY);
}

export function newAttempt(signature: string, request: AttemptRequest, key: string = newIdempotencyKey()): Attempt {
  const serial = Number(sessionStorage.getItem(SERIAL_KEY) ?? "0") + 1;
  sessionStorage.setItem(SERIAL_KEY, String(serial));
  return { key, signature, serial, state: "ready", request, log: [] };
}
