/**
 * `npm run events:worker -- relay receipts revenue`: the named parts of the event path in a process
 * of their own (PostgreSQL only: the embedded database has one connection, held by the app). Give
 * the app `EVENT_WORKERS=none` then, or let both run them: they share the work safely.
 */
import { createApp } from "../server/app";
import { env } from "../server/env";
import { logger } from "../server/observability/logger";

async function main() {
  const names = process.argv.slice(2).filter((arg) => !arg.startsWith("-"));
  if (!env.DATABASE_URL) throw new Error("events:worker needs DATABASE_URL: on the embedded database the app runs the workers itself");
  // No seeding: it serves no merchant, and a worker configured apart from the app must not revoke the app's keys.
  const app = await createApp({ ...env, EVENT_WORKERS: new Set(names.length ? names : env.EVENT_WORKERS) }, { seed: false });
  app.start("events");
  logger.info({ workers: names, mode: app.events.mode }, "event workers started");
  // The jobs' timers do not hold the process open (a server's would exit with them otherwise), and
  // with NATS and PostgreSQL both away no socket does either: this one timer keeps the worker alive.
  const alive = setInterval(() => undefined, 60_000);
  const stop = () => {
    clearInterval(alive);
    void app.close().finally(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
