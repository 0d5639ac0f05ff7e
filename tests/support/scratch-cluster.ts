import { execFile } from "node:child_process";
import { chownSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { migrate } from "@/server/db/migrate";
import getPort from "get-port";
import { sleep } from "@/fixtures";

const run = promisify(execFile);

export interface ScratchCluster {
  /** The migrated `postgres` database of this cluster. */
  url: string;
  port: number;
  /** `pg_ctl restart -m fast`: every backend is terminated (57P01), as in a routine restart. */
  restart(): Promise<void>;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the cluster and deletes its files. */
  destroy(): Promise<void>;
  /** Resolves once a connection succeeds, or throws after `ms`. */
  waitUntilAccepting(ms?: number): Promise<void>;
  /**
   * SIGSTOP to the postmaster and every process under it: the cluster still accepts TCP connections
   * (the kernel completes the handshake into the listen backlog) and answers nothing, as a hung
   * server does. Returns the processes it stopped.
   */
  freeze(): number[];
  /** SIGCONT to what `freeze` stopped. */
  thaw(): void;
}

/**
 * A PostgreSQL cluster of its own (initdb on a temporary directory, a free port, its socket in that
 * directory), so a test may stop and restart it: the machine's shared server must never be touched.
 * PostgreSQL refuses to run as root, so as root every command runs as the `postgres` user.
 */
export async function createScratchCluster(): Promise<ScratchCluster> {
  const root = mkdtempSync(path.join(os.tmpdir(), "oncepay-cluster-"));
  const dataDir = path.join(root, "data");
  const logFile = path.join(root, "postgres.log");
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const { uid, gid } = await postgresUser();
    chownSync(root, uid, gid);
  }
  const tool = (name: string, args: string[]) => (asRoot ? run("runuser", ["-u", "postgres", "--", name, ...args]) : run(name, args));
  const port = await getPort({ host: "127.0.0.1" });
  // Durability is not under test here, and fsync off keeps a restart well under a second.
  const serverOptions = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const pgCtl = (...args: string[]) => tool("pg_ctl", ["-D", dataDir, "-l", logFile, "-w", "-t", "30", ...args]);

  await tool("initdb", ["-D", dataDir, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C"]);
  await pgCtl("start", "-o", serverOptions);
  const url = `postgresql://postgres@127.0.0.1:${port}/postgres`;
  let frozen: number[] = [];
  const cluster: ScratchCluster = {
    url,
    port,
    restart: async () => void (await pgCtl("restart", "-m", "fast")),
    stop: async () => void (await pgCtl("stop", "-m", "fast")),
    start: async () => void (await pgCtl("start", "-o", serverOptions)),
    async destroy() {
      cluster.thaw(); // a stopped postmaster would not stop
      await pgCtl("stop", "-m", "immediate").catch(() => undefined);
      rmSync(root, { recursive: true, force: true });
    },
    async waitUntilAccepting(ms = 30_000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const client = new pg.Client({ connectionString: url });
        try {
          await client.connect();
          await client.end();
          return;
        } catch (error) {
          await client.end().catch(() => undefined);
          if (Date.now() > deadline) throw error;
          await sleep(100);
        }
      }
    },
    freeze() {
      // The postmaster first, so that it forks nothing new while its children are being stopped.
      const postmaster = Number(readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
      process.kill(postmaster, "SIGSTOP");
      frozen = [postmaster, ...descendants(postmaster)];
      for (const pid of frozen.slice(1)) process.kill(pid, "SIGSTOP");
      return frozen;
    },
    thaw() {
      for (const pid of frozen) {
        try {
          process.kill(pid, "SIGCONT");
        } catch {
          // gone: nothing to wake
        }
      }
      frozen = [];
    },
  };
  try {
    await migrate(url);
  } catch (error) {
    await cluster.destroy();
    throw error;
  }
  return cluster;
}

/** Every process under `root`, from /proc (Linux): PostgreSQL's backends and auxiliary processes are the postmaster's children. */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited meanwhile
    }
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so read after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  const found: number[] = [];
  for (let queue = [root]; queue.length;) {
    const next = children.get(queue.shift()!) ?? [];
    found.push(...next);
    queue.push(...next);
  }
  return found;
}

async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([run("id", ["-u", "postgres"]), run("id", ["-g", "postgres"])]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}
