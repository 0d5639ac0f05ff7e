/**
 * How an operator command reaches the data: with DATABASE_URL, in this process; on the embedded
 * database (one connection, held by the running app), through the app's tRPC API at ONCEPAY_URL.
 */
import { createTRPCClient, httpLink } from "@trpc/client";
import { createApp, type App } from "../server/app";
import { env } from "../server/env";
import type { AppRouter } from "../server/trpc/routers/_app";

export type Remote = ReturnType<typeof createTRPCClient<AppRouter>>;

export async function runOperator<R>(name: string, local: (app: App) => Promise<R>, remote: (client: Remote) => Promise<R>): Promise<void> {
  try {
    let result: R;
    if (env.DATABASE_URL) {
      const app = await createApp({ ...env, EVENT_WORKERS: new Set() });
      try {
        result = await local(app);
      } finally {
        await app.close();
      }
    } else {
      const url = `${process.env.ONCEPAY_URL ?? "http://127.0.0.1:3000"}/api/trpc`;
      result = await remote(createTRPCClient<AppRouter>({ links: [httpLink({ url })] }));
    }
    console.log(`${name}: ${JSON.stringify(result)}`);
  } catch (error) {
    console.error(`${name} failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}

/** `--name value` from the command line, or undefined. */
export function option(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? undefined : process.argv[at + 1];
}
