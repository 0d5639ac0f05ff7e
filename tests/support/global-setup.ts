import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { createScratchDatabase, type ScratchDatabase } from "./scratch-db";
import { startServer, TEST_DIST_DIR, type ServerProcess } from "./server-process";

declare module "vitest" {
  export interface ProvidedContext {
    /** Base URLs of the shared servers, by database. */
    servers: { postgres: string; embedded: string };
    /** The scratch PostgreSQL database the postgres server uses. */
    postgresUrl: string;
  }
}

/**
 * Starts the servers the integration tests talk to over real HTTP: one on a scratch PostgreSQL
 * database and one on the embedded database. Builds the app first if `npm test` has not.
 */
export default async function setup(project: TestProject) {
  if (!existsSync(path.join(TEST_DIST_DIR, "BUILD_ID"))) {
    execFileSync("npx", ["next", "build", "--webpack"], {
      stdio: "inherit",
      env: { ...process.env, NEXT_DIST_DIR: TEST_DIST_DIR },
    });
  }
  const started: ServerProcess[] = [];
  let database: ScratchDatabase | undefined;
  try {
    database = await createScratchDatabase();
    const [postgres, embedded] = await Promise.all([startServer({ databaseUrl: database.url }), startServer()]);
    started.push(postgres, embedded);
    project.provide("servers", { postgres: postgres.url, embedded: embedded.url });
    project.provide("postgresUrl", database.url);
  } catch (error) {
    await Promise.all(started.map((s) => s.stop()));
    await database?.drop();
    throw error;
  }
  return async () => {
    await Promise.all(started.map((s) => s.stop()));
    await database?.drop();
  };
}
