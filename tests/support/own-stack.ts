import getPort from "get-port";
import { afterAll, beforeAll } from "vitest";
import { apiClient, type ApiClient } from "./api";
import { startProviderProcess, type ProviderProcess } from "@/fixtures/provider-process";
import { createScratchDatabase, type ScratchDatabase } from "./scratch-db";
import { startServer, type ServerProcess } from "@/fixtures/server-process";

export interface OwnStack {
  provider: ProviderProcess;
  database: ScratchDatabase;
  server: ServerProcess;
  api: ApiClient;
}

export interface OwnStackOptions {
  /** The provider delivers its webhooks to this server (it must know the URL first, so the port is picked here). */
  webhooks?: boolean;
  providerEnv?: Record<string, string>;
  serverEnv?: Record<string, string>;
  /** Runs first, in `beforeAll`; what it returns joins the server's environment (a URL known only then). */
  before?: () => Promise<Record<string, string>>;
}

/**
 * A provider, a scratch PostgreSQL database and a server on them, for one suite (started before its
 * tests, stopped after): what a suite needs when its events or charges must not mix with the shared
 * servers'. The fields are filled in by the time the tests run.
 */
export function useOwnStack(options: OwnStackOptions = {}): OwnStack {
  const stack = {} as OwnStack;
  beforeAll(async () => {
    const extra = (await options.before?.()) ?? {};
    const port = await getPort({ host: "127.0.0.1" });
    const delivery: Record<string, string> = options.webhooks ? { PROVIDER_WEBHOOK_URL: `http://127.0.0.1:${port}/api/v1/webhooks/provider` } : {};
    [stack.provider, stack.database] = await Promise.all([startProviderProcess({ env: { ...delivery, ...options.providerEnv } }), createScratchDatabase()]);
    stack.server = await startServer({ port, databaseUrl: stack.database.url, env: { PROVIDER_URL: stack.provider.url, ...options.serverEnv, ...extra } });
    stack.api = apiClient(stack.server.url);
  });
  afterAll(async () => {
    await stack.server?.stop();
    await stack.provider?.stop();
    await stack.database?.drop();
  });
  return stack;
}
