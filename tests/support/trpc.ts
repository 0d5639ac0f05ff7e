import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import { poll, type MerchantName } from "@/fixtures";
import type { AppRouter } from "@/server/trpc/routers/_app";
import { authorization } from "./api";

export interface TrpcClientOptions {
  /** Whose API key goes in `Authorization`; null sends none. */
  merchant?: MerchantName | null;
  /** Sent with every call (`Simulate-Failure`, say). */
  headers?: Record<string, string>;
  /** Sees every HTTP response, for what the typed client does not surface (its headers). */
  onResponse?: (response: Response) => void;
}

/** The typed client an application would use, one HTTP request per call. */
export function trpcClient(baseUrl: string, options: TrpcClientOptions = {}) {
  const { merchant = "alice", headers = {}, onResponse } = options;
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${baseUrl}/api/trpc`,
        headers: () => ({ ...(merchant ? { authorization: authorization(merchant) } : {}), ...headers }),
        fetch: async (url, init) => {
          const response = await fetch(url, init);
          onResponse?.(response);
          return response;
        },
      }),
    ],
  });
}

export type TrpcClient = ReturnType<typeof trpcClient>;
export type TrpcError = TRPCClientError<AppRouter>;

/** The error a call failed with; a call that succeeded fails the test. */
export async function trpcError(call: Promise<unknown>): Promise<TrpcError> {
  const outcome = await call.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!("error" in outcome)) throw new Error(`expected the call to fail, it returned ${JSON.stringify(outcome.value)}`);
  if (!(outcome.error instanceof TRPCClientError)) throw outcome.error;
  return outcome.error as TrpcError;
}

/**
 * Resolves once the server shows `key` claimed and still executing (read through the dashboard's
 * records): a duplicate sent after this meets the claim, never races it.
 */
export async function inFlight(baseUrl: string, key: string): Promise<void> {
  const dashboard = trpcClient(baseUrl, { merchant: null }).dashboard;
  await poll(async () => (await dashboard.records.query({ search: key, state: "in_progress" })).some((r) => r.key === key), {
    timeoutMs: 10_000,
    intervalMs: 25,
    message: `${key} never showed as in progress at ${baseUrl}`,
  });
}
