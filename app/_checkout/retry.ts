import { TRPCClientError } from "@trpc/client";

/** Automatic retries after the first attempt; then a manual "Try again" with the same key. */
export const MAX_RETRIES = 5;
const BASE_DELAY_MS = 250;
const MAX_DELAY_MS = 4000;

/** Exponential backoff with full jitter (retry 1 → up to 250 ms, 2 → 500 ms, …, capped). */
export function backoffMs(retry: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (retry - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export interface Problem {
  code: string;
  title?: string;
  status: number;
  detail: string;
  idempotentReplayed?: boolean;
}

/** How one failed attempt ended, and whether retrying the same key can help. */
export type AttemptFailure =
  { kind: "declined"; problem: Problem } | { kind: "retryable"; label: string; problem?: Problem } | { kind: "fatal"; label: string; problem?: Problem };

export function classify(error: unknown): AttemptFailure {
  if (!(error instanceof TRPCClientError)) return { kind: "retryable", label: "network error" };
  const data = error.data as { httpStatus?: number; problem?: Problem } | undefined;
  const status = data?.httpStatus;
  const problem = data?.problem;
  // No status at all: the request or its response never made it (a real or simulated network loss).
  if (status === undefined) return { kind: "retryable", label: "no response (network)" };
  if (status === 402 && problem) return { kind: "declined", problem };
  if (status === 409) return { kind: "retryable", label: "409 still processing", problem };
  if (status >= 500) return { kind: "retryable", label: `${status} ${problem?.title ?? "server error"}`, problem };
  return { kind: "fatal", label: `${status} ${problem?.title ?? error.message}`, problem };
}
