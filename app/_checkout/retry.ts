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
  /** The server's Retry-After, in seconds (409s, outages, an unavailable provider). */
  retryAfterSeconds?: number;
}

/** How one failed attempt ended, and whether retrying the same key can help. */
export type AttemptFailure =
  { kind: "declined"; problem: Problem } | { kind: "retryable"; label: string; problem?: Problem } | { kind: "fatal"; label: string; problem?: Problem };

/**
 * How long to wait before retry `retry`: the backoff, or longer when the server asked for it with
 * Retry-After (a provider that timed out needs a moment before the same key resumes the charge).
 */
export function retryDelayMs(retry: number, problem?: Problem, random: () => number = Math.random): number {
  const asked = typeof problem?.retryAfterSeconds === "number" && problem.retryAfterSeconds > 0 ? problem.retryAfterSeconds * 1000 : 0;
  return Math.max(backoffMs(retry, random), Math.min(asked, MAX_DELAY_MS));
}

export function classify(error: unknown): AttemptFailure {
  if (!(error instanceof TRPCClientError)) return { kind: "retryable", label: "network error" };
  const data = error.data as { httpStatus?: number; problem?: Problem } | undefined;
  const status = data?.httpStatus;
  const problem = data?.problem;
  // No status at all: the request or its response never made it (a real or simulated network loss).
  if (status === undefined) return { kind: "retryable", label: "no response (network)" };
  if (status === 402 && problem) return { kind: "declined", problem };
  if (status === 409) return { kind: "retryable", label: "409 still processing", problem };
  // 502/504 provider_unavailable among them: the charge's outcome is unknown, and only the same key finishes it without charging twice.
  if (status >= 500) return { kind: "retryable", label: `${status} ${problem?.title ?? "server error"}`, problem };
  return { kind: "fatal", label: `${status} ${problem?.title ?? error.message}`, problem };
}
