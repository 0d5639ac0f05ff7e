import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { connect } from "@nats-io/transport-node";
import getPort from "get-port";
import { poll } from "@/fixtures";

/** A nats-server of a test's own (the shared one is not ours to stop), on a free port with its own store. */
export interface PrivateNats {
  url: string;
  /** Stops the server; its store stays, so `start` brings the same streams back. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it and removes its store. */
  dispose(): Promise<void>;
}

export async function privateNats(options: { running: boolean }): Promise<PrivateNats> {
  const port = await getPort({ host: "127.0.0.1" });
  const store = mkdtempSync(path.join(tmpdir(), "oncepay-nats-"));
  const url = `nats://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  const stop = async () => {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once("exit", resolve));
    running.kill("SIGTERM");
    await exited;
  };
  const start = async () => {
    child = spawn("nats-server", ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", store], { stdio: "ignore" });
    await poll(
      () =>
        connect({ servers: url, reconnect: false }).then(
          (nc) => nc.close().then(() => true),
          () => false,
        ),
      { timeoutMs: 10_000, intervalMs: 50, message: "nats-server did not listen" },
    );
  };
  if (options.running) await start();
  return {
    url,
    stop,
    start,
    async dispose() {
      await stop();
      rmSync(store, { recursive: true, force: true });
    },
  };
}
