import { setTimeout as sleep } from "node:timers/promises";

type Truthy<T> = Exclude<T, false | 0 | "" | null | undefined>;

/** Until `check` gives a truthy value, every `intervalMs`, at most `timeoutMs`: then it throws `message`. */
export async function poll<T>(
  check: () => T | Promise<T>,
  options: { timeoutMs: number; intervalMs?: number; message: string | (() => string) },
): Promise<Truthy<T>> {
  const { timeoutMs, intervalMs = 50, message } = options;
  const started = Date.now();
  for (let checks = 1; ; checks++) {
    const value = await check();
    if (value) return value as Truthy<T>;
    const left = started + timeoutMs - Date.now();
    if (left <= 0) throw new Error(`${typeof message === "function" ? message() : message} (checked ${checks} times in ${Date.now() - started} ms)`);
    await sleep(Math.min(intervalMs, left));
  }
}
