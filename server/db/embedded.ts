import { mkdirSync } from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

/**
 * Connections a client may open to the embedded database: exactly one. pglite-socket queues each
 * wire-protocol message on its own, so outside a transaction the Parse/Bind/Execute messages of
 * two connections interleave on PGlite's single backend and one query runs with the other's
 * statement (measured: wrong rows and errors under 100 concurrent requests). One connection
 * serialises them, which PGlite's single backend does anyway.
 */
export const EMBEDDED_POOL_SIZE = 1;

export interface EmbeddedDatabase {
  connectionString: string;
  stop(): Promise<void>;
}

/**
 * PostgreSQL in-process: PGlite on disk under `dataDir`, served over the wire protocol on a free
 * loopback port so the app talks to it through the same driver and SQL as to a real server.
 * PGlite is a single backend: callers must never wait on a second connection from inside a
 * transaction, or the embedded database deadlocks.
 */
export async function startEmbeddedDatabase(dataDir: string): Promise<EmbeddedDatabase> {
  const dir = path.resolve(dataDir, "pglite");
  mkdirSync(dir, { recursive: true });
  const db = await PGlite.create({ dataDir: dir });
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: 64 });
  await server.start();
  return {
    connectionString: `postgresql://postgres@${server.getServerConn()}/postgres?sslmode=disable`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
