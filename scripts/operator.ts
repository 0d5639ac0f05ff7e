/**
 * How an operator command reaches the data: with DATABASE_URL, in this process; on the embedded
 * database (one connection, held by the running app), through the app's tRPC API at ONCEPAY_URL,
 * with `Authorization: Bearer $ONCEPAY_OPERATOR_TOKEN` when it is set.
 */
import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
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
      const token = env.ONCEPAY_OPERATOR_TOKEN;
      const headers = token ? { authorization: `Bearer ${token}` } : {};
      result = await remote(createTRPCClient<AppRouter>({ links: [httpLink({ url, headers })] }));
    }
    console.log(`${name}: ${JSON.stringify(result)}`);
  } catch (error) {
    console.error(`${name} failed: ${refusal(error) ?? (error instanceof Error ? error.message : String(error))}`);
    process.exit(1);
  }
}

/** What to do about a server that refused the operator, or null for any other failure. */
function refusal(error: unknown): string | null {
  if (!(error instanceof TRPCClientError)) return null;
  const status = (error.data as { httpStatus?: number } | undefined)?.httpStatus;
  if (status === 401) {
    return env.ONCEPAY_OPERATOR_TOKEN
      ? "the server refused ONCEPAY_OPERATOR_TOKEN (401): set it to the running server's operator token."
      : "the server requires the operator token (401): set ONCEPAY_OPERATOR_TOKEN to the running server's token and run this again.";
  }
  if (status === 429) return "too many wrong operator tokens from this address (429): wait a minute, then retry with the right ONCEPAY_OPERATOR_TOKEN.";
  return null;
}

/** `--name value` from the command line, or undefined. */
export function option(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? undefined : process.argv[at + 1];
}
