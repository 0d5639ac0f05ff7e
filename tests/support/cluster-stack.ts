import { afterAll, beforeAll } from "vitest";
import { createScratchCluster, type ScratchCluster } from "@/fixtures/scratch-cluster";
import { startServer, type ServerProcess } from "@/fixtures/server-process";

export interface ClusterStack {
  cluster: ScratchCluster;
  servers: ServerProcess[];
  /** What both servers were started with, for another started later. */
  env: Record<string, string>;
}

/**
 * Two instances on a PostgreSQL cluster of the suite's own, which it may stop, restart or freeze
 * (the machine's server is never touched), each merchant of `merchants` known to both.
 */
export function useClusterStack(options: { merchants: { id: string; apiKey: string }[]; lockTimeoutSeconds: number }): ClusterStack {
  const env = {
    IDEMPOTENCY_LOCK_TIMEOUT_SECONDS: String(options.lockTimeoutSeconds),
    ONCEPAY_MERCHANTS: options.merchants.map((m) => `${m.id}:${m.apiKey}`).join(","),
  };
  const stack = { servers: [] as ServerProcess[], env } as unknown as ClusterStack;
  beforeAll(async () => {
    stack.cluster = await createScratchCluster();
    stack.servers = await Promise.all([startServer({ databaseUrl: stack.cluster.url, env }), startServer({ databaseUrl: stack.cluster.url, env })]);
  });
  afterAll(async () => {
    stack.cluster?.thaw();
    await Promise.all(stack.servers.map((s) => s.stop()));
    await stack.cluster?.destroy();
  });
  return stack;
}
