/**
 * Next calls `register` once when a server starts. Three duties:
 * - Every request gets its socket's address in a header a client cannot forge
 *   (server/http/client-address.ts).
 * - A configuration that could charge twice (server/env.ts) stops the server here, before it
 *   listens, rather than failing every request later.
 * - The jobs must run even if no request ever comes, but this file is bundled apart from the routes
 *   and shares no modules with them: an app made here would be a second app with its own error
 *   classes. So it only asks the server for its health once it listens; the route makes the
 *   process's one app, and the app starts its jobs.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  // Per-address limits need the socket's address, which Next does not hand to route handlers.
  (await import("./server/http/client-address")).installPeerAddress();
  try {
    await import("./server/env");
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    console.error("Oncepay refuses to start with this configuration.");
    process.exit(1);
  }
  const wake = (): void => {
    // Set by Next when it listens (start-server.js); until then, try again.
    const origin = process.env.__NEXT_PRIVATE_ORIGIN;
    const retry = () => void setTimeout(wake, 1_000).unref();
    if (!origin) return retry();
    fetch(`${origin}/api/health`)
      .then((res) => (res.ok ? undefined : retry()))
      .catch(retry);
  };
  setTimeout(wake, 200).unref();
}
