/**
 * Next calls `register` once when a server starts: the moment to start the background jobs (the
 * completer), so abandoned payments are finished even if no request ever comes.
 */
export async function register(): Promise<void> {
  // The import inside the condition, not after an early return: Next also compiles this file for the
  // edge runtime, and only a branch webpack can prove dead keeps the server (ioredis, pg) out of that
  // bundle; otherwise `next dev` fails to compile it ("Can't resolve 'stream'") and never serves a page.
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { startJobs } = await import("./server/app");
    const attempt = (): void => {
      // The database may not be up yet: keep trying, as a request would.
      startJobs().catch(() => setTimeout(attempt, 2_000).unref());
    };
    attempt();
  }
}
