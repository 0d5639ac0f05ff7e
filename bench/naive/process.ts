import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import getPort from "get-port";
import { poll } from "../../fixtures";

export interface NaivePeer {
  url: string;
  /** The server's own process (tsx loads in-process), so the bench can count its CPU. */
  pid: number;
  stop(): Promise<void>;
}

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "../..");
const SERVER = path.join(HERE, "server.ts");

const READY_TIMEOUT_MS = 30_000;
const KILL_AFTER_MS = 5_000;

/**
 * The naive peer (bench/naive/server.ts) as a child process, ready when its health check answers.
 * It charges at the provider simulator at `providerUrl`, as the app does.
 */
export async function startNaivePeer(databaseUrl: string, providerUrl: string): Promise<NaivePeer> {
  const port = await getPort({ host: "127.0.0.1" });
  // tsx as a loader of this very node, rather than `npx tsx`: no npm start-up and no wrapper
  // process, so SIGTERM and the CPU accounting both reach the server itself.
  const child = spawn(process.execPath, ["--import", "tsx", SERVER], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl, PORT: String(port), PROVIDER_URL: providerUrl, LOG_LEVEL: "warn" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(url, child, () => output);
  } catch (error) {
    await stop(child);
    throw error;
  }
  return { url, pid: child.pid ?? 0, stop: () => stop(child) };
}

async function waitForHealth(url: string, child: ChildProcess, output: () => string): Promise<void> {
  await poll(
    async () => {
      if (exited(child)) throw new Error(`naive peer exited with ${child.exitCode ?? child.signalCode}:\n${output()}`);
      try {
        return (await fetch(`${url}/health`)).status === 200;
      } catch {
        return false; // not listening yet
      }
    },
    { timeoutMs: READY_TIMEOUT_MS, intervalMs: 200, message: () => `naive peer at ${url} not healthy after ${READY_TIMEOUT_MS} ms:\n${output()}` },
  );
}

/** SIGTERM, then SIGKILL if it has not exited within KILL_AFTER_MS. */
function stop(child: ChildProcess): Promise<void> {
  if (exited(child)) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill("SIGKILL"), KILL_AFTER_MS);
    child.once("exit", () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}
