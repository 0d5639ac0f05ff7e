import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import getPort from "get-port";
import { poll } from "@/fixtures";

export const TEST_DIST_DIR = ".next-test";

export interface ServerProcess {
  url: string;
  port: number;
  pid: number;
  /** Graceful stop (SIGTERM), as a deploy would. */
  stop(): Promise<void>;
  /** Crash (SIGKILL): nothing is cleaned up, as when a machine dies. */
  kill(): Promise<void>;
  /** Resolves when the process has gone, however it went (the crash hook kills it from within). */
  exited: Promise<void>;
  output(): string;
}

export interface ServerOptions {
  /** Real PostgreSQL; unset means the embedded database in a fresh data directory. */
  databaseUrl?: string;
  dataDir?: string;
  env?: Record<string, string>;
  /** Wait only until it answers at all (for servers whose database is meant to be down). */
  readyWhenListening?: boolean;
  /** A port chosen beforehand (when a peer must know the URL before the server starts); a free one otherwise. */
  port?: number;
  /** Extra node flags for the server process (e.g. `--cpu-prof`, which NODE_OPTIONS refuses). */
  nodeArgs?: string[];
}

/** A production server (`next start` on the test build), ready when its health check answers. */
export async function startServer(options: ServerOptions = {}): Promise<ServerProcess> {
  const port = options.port ?? (await getPort({ host: "127.0.0.1" }));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: "production",
    NEXT_DIST_DIR: TEST_DIST_DIR,
    FAULT_INJECTION: "1",
    LOG_LEVEL: process.env.TEST_SERVER_LOG_LEVEL ?? "warn",
    NEXT_TELEMETRY_DISABLED: "1",
    ...options.env,
  };
  if (options.databaseUrl) env.DATABASE_URL = options.databaseUrl;
  else {
    delete env.DATABASE_URL;
    env.ONCEPAY_DATA_DIR = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), "oncepay-embedded-"));
  }
  const next = path.resolve("node_modules/next/dist/bin/next");
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), next, "start", "-p", String(port), "-H", "127.0.0.1"], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout?.on("data", (d: Buffer) => (log += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  await waitForHealth(url, child, () => log, options.readyWhenListening ?? false);
  return {
    url,
    port,
    pid: child.pid ?? 0,
    stop: () => terminate(child, "SIGTERM"),
    kill: () => terminate(child, "SIGKILL"),
    exited,
    output: () => log,
  };
}

async function waitForHealth(url: string, child: ChildProcess, log: () => string, anyAnswer: boolean): Promise<void> {
  const answers = async () => {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${log()}`);
    try {
      const res = await fetch(`${url}/api/health`);
      return res.status === 200 || anyAnswer;
    } catch {
      return false; // not listening yet
    }
  };
  try {
    await poll(answers, { timeoutMs: 60_000, intervalMs: 200, message: () => `server at ${url} did not become healthy:\n${log()}` });
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
}

function terminate(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill(signal);
  });
}

/** Whether the process is still there (signal 0 only asks). */
export function alive(server: ServerProcess): boolean {
  try {
    process.kill(server.pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** How Next's production server prints what escaped every handler (router-server.js, process-error-handlers.js). */
const ESCAPED = /uncaughtException|unhandledRejection|Unhandled Rejection/;

/** The lines in which a server reported an escaped error, from `since` (offsets into each output) on. */
export function escapedErrors(servers: ServerProcess[], since: number[] = []): string[] {
  return servers.flatMap((s, i) =>
    s
      .output()
      .slice(since[i] ?? 0)
      .split("\n")
      .filter((line) => ESCAPED.test(line)),
  );
}
