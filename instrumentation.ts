/**
 * Next calls `register` once when a server starts: the moment to start the background jobs (the
 * completer), so abandoned payments are finished even if no request ever comes.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { startJobs } = await import("./server/app");
  const attempt = (): void => {
    // The database may not be up yet: keep trying, as a request would.
    startJobs().catch(() => setTimeout(attempt, 2_000).unref());
  };
  attempt();
}
