import { sleep } from "@/fixtures";
import type { Answer } from "./http";
import type { Status } from "./history";
import type { Random } from "./random";

/** Answers a browser retries with the same key: no answer, a conflict, a limit, a server or gateway failure. */
export function retryable(status: Status): boolean {
  return typeof status !== "number" || status === 409 || status === 429 || status >= 500;
}

const BASE_MS = 100;
const CAP_MS = 2_000;
/** A Retry-After longer than this is shortened: the run is short, and an early retry only meets a 409 again. */
const MAX_RETRY_AFTER_MS = 3_000;

/** Exponential backoff with full jitter (AWS's), never shorter than the server's Retry-After (capped). */
export function backoffMs(retry: number, answer: Answer, random: Random): number {
  const jittered = random.next() * Math.min(CAP_MS, BASE_MS * 2 ** retry);
  const asked = answer.retryAfter ? Math.min(answer.retryAfter * 1000, MAX_RETRY_AFTER_MS) : 0;
  return Math.max(jittered, asked);
}

export async function backoff(retry: number, answer: Answer, random: Random): Promise<void> {
  await sleep(backoffMs(retry, answer, random));
}
