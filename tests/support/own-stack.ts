import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import getPort from "get-port";
import { afterAll, beforeAll } from "vitest";
import { apiClient, type ApiClient } from "./api";
import { startSimulatorProcess, type SimulatorProcess } from "@/fixtures/simulator-process";
import type { LocalDatabase } from "./reconcile";
import { createScratchDatabase, type ScratchDatabase } from "./scratch-db";
import { startServer, type ServerProcess } from "@/fixtures/server-process";

/** Where a suite's server keeps its data: a scratch database of the local PostgreSQL, or the embedded one. */
export type StackKind = "postgres" | "embedded";
export const STACK_KINDS: StackKind[] = ["postgres", "embedded"];

export interface OwnStack {
  kind: StackKind;
  provider: SimulatorProcess;
  /** The scratch PostgreSQL database (a `postgres` stack only). */
  database: ScratchDatabase;
  /** The database, as the reconciliation reads it (an embedded one only once its server has stopped). */
  local: LocalDatabase;
  server: ServerProcess;
  api: ApiClient;
  /** Stops the server and starts it again on the same database, with `env` added (a restart, or a new configuration). */
  restart(env?: Record<string, string>): Promise<void>;
}

export interface OwnStackOptions {
  /** The provider delivers its webhooks to this server (it must know the URL first, so the port is picked here). */
  webhooks?: boolean;
  providerEnv?: Record<string, string>;
  serverEnv?: Record<string, string>;
  /** Runs first, in `beforeAll`; what it returns joins the server's environment (a URL known only then). */
  before?: () => Promise<Record<string, string>>;
  /** The embedded database instead of a scratch PostgreSQL one. */
  kind?: StackKind;
}

/**
 * A provider, a database and a server on them, for one suite (started before its tests, stopped
 * after): what a suite needs when its events or charges must not mix with the shared servers'. The
 * fields are filled in by the time the tests run.
 */
export function useOwnStack(options: OwnStackOptions = {}): OwnStack {
  const kind = options.kind ?? "postgres";
  const stack = { kind } as OwnStack;
  let env: Record<string, string> = {};
  let port = 0;
  let dataDir: string | undefined;
  const start = () =>
    startServer({ port, ...(dataDir ? { dataDir } : { databaseUrl: stack.database.url }), env: { PROVIDER_URL: stack.provider.url, ...env } });
  beforeAll(async () => {
    const extra = (await options.before?.()) ?? {};
    port = await getPort({ host: "127.0.0.1" });
    const delivery: Record<string, string> = options.webhooks ? { PROVIDER_WEBHOOK_URL: `http://127.0.0.1:${port}/api/v1/webhooks/provider` } : {};
    const database = kind === "postgres" ? createScratchDatabase() : Promise.resolve(undefined);
    const [provider, scratch] = await Promise.all([startSimulatorProcess({ env: { ...delivery, ...options.providerEnv } }), database]);
    stack.provider = provider;
    if (scratch) {
      stack.database = scratch;
      stack.local = { url: scratch.url };
    } else {
      dataDir = mkdtempSync(path.join(os.tmpdir(), "oncepay-embedded-"));
      stack.local = { dataDir };
    }
    env = { ...options.serverEnv, ...extra };
    stack.server = await start();
    stack.api = apiClient(stack.server.url);
    stack.restart = async (more = {}) => {
      await stack.server.stop();
      env = { ...env, ...more };
      stack.server = await start();
    };
  });
  afterAll(async () => {
    await stack.server?.stop();
    await stack.provider?.stop();
    await stack.database?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });
  return stack;
}
