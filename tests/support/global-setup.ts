import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { connect, identify } from "@/server/db/client";
import { connectRedis, fastPathPrefix, whenReady } from "@/server/db/redis";
import { startSimulatorProcess, type SimulatorProcess } from "@/fixtures/simulator-process";
import { expectReconciled, type LocalDatabase } from "./reconcile";
import { deleteByPrefix } from "./redis-keys";
import { createScratchDatabase, type ScratchDatabase } from "./scratch-db";
import { ensureTestBuild, startServer, type ServerProcess } from "@/fixtures/server-process";

declare module "vitest" {
  export interface ProvidedContext {
    /** Base URLs of the shared servers: PostgreSQL, embedded, and PostgreSQL behind the Redis fast path. */
    servers: { postgres: string; embedded: string; redis: string };
    /** The scratch PostgreSQL database the postgres server uses. */
    postgresUrl: string;
    /** The Redis the redis server uses. */
    redisUrl: string;
    /** The provider simulator the shared servers charge. */
    providerUrl: string;
  }
}

/** The Redis server's entries for its scratch database, deleted: a run leaves nothing behind. */
async function forgetFastPath(database: ScratchDatabase | undefined): Promise<void> {
  if (!database) return;
  const db = connect(database.url, 1, false);
  const redis = connectRedis(TEST_REDIS_URL);
  try {
    await whenReady(redis, 2_000);
    await deleteByPrefix(redis, fastPathPrefix(await identify(db.sql)));
  } finally {
    redis.disconnect();
    await db.pool.end();
  }
}

/** The local Redis that every machine here runs (CI's included). */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

/**
 * Starts the servers the integration tests talk to over real HTTP: one on a scratch PostgreSQL
 * database, one on the embedded database, and one on its own scratch database with the Redis fast
 * path in front. Builds the app first if `npm test` has not.
 */
export default async function setup(project: TestProject) {
  ensureTestBuild();
  const started: ServerProcess[] = [];
  const databases: ScratchDatabase[] = [];
  let provider: SimulatorProcess | undefined;
  let spare: SimulatorProcess | undefined;
  const embeddedDataDir = mkdtempSync(path.join(os.tmpdir(), "oncepay-embedded-"));
  const stop = async () => {
    await Promise.all(started.map((s) => s.stop()));
    try {
      // After every suite, one reconciliation: what the shared servers charged, seen from both ends.
      if (provider && started.length === 3) {
        const local: LocalDatabase[] = [...databases.map((d) => ({ url: d.url })), { dataDir: embeddedDataDir }];
        await expectReconciled(provider.url, local);
      }
    } finally {
      await Promise.all([provider?.stop(), spare?.stop()]);
      await forgetFastPath(databases[1]).catch(() => undefined);
      await Promise.all(databases.map((d) => d.drop()));
      rmSync(embeddedDataDir, { recursive: true, force: true });
    }
  };
  try {
    // One provider for the shared servers, reconciled at the end against their databases only; a
    // spare one for the servers tests start on databases of their own (inherited by the workers as
    // PROVIDER_URL). Suites that reconcile their own servers start their own provider.
    [provider, spare] = await Promise.all([startSimulatorProcess(), startSimulatorProcess()]);
    process.env.PROVIDER_URL = spare.url;
    const charging = { PROVIDER_URL: provider.url };
    const [database, redisDatabase] = await Promise.all([createScratchDatabase(), createScratchDatabase()]);
    databases.push(database, redisDatabase);
    const servers = await Promise.all([
      startServer({ databaseUrl: database.url, env: charging }),
      startServer({ dataDir: embeddedDataDir, env: charging }),
      startServer({ databaseUrl: redisDatabase.url, env: { ...charging, REDIS_URL: TEST_REDIS_URL } }),
    ]);
    started.push(...servers);
    const [postgres, embedded, redis] = servers;
    project.provide("servers", { postgres: postgres.url, embedded: embedded.url, redis: redis.url });
    project.provide("postgresUrl", database.url);
    project.provide("redisUrl", TEST_REDIS_URL);
    project.provide("providerUrl", provider.url);
  } catch (error) {
    await stop();
    throw error;
  }
  return stop;
}
