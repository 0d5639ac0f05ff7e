import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poll } from "@/fixtures";
import { startServer, type ServerProcess } from "@/fixtures/server-process";
import { createScratchDatabase, type ScratchDatabase } from "@/tests/support/scratch-db";

interface JobRow {
  name: string;
  holder: string | null;
  runs: number;
}

// The cleanup's interval is far longer than the lease: its holder keeps it between runs all the same.
const SETTINGS = { JOBS_LEASE_SECONDS: "2", COMPLETER_INTERVAL_SECONDS: "0.2", REAPER_INTERVAL_SECONDS: "0.2", CLEANUP_INTERVAL_SECONDS: "3600" };

/**
 * One scheduler for the recurring jobs (server/jobs/scheduler.ts): two instances on one PostgreSQL,
 * each job held by one of them at a time; the holder killed, the other takes its jobs over within
 * the lease, and they go on running.
 */
describe("the scheduler, two instances on one database", () => {
  let database: ScratchDatabase;
  let servers: ServerProcess[] = [];
  let client: pg.Client;
  beforeAll(async () => {
    database = await createScratchDatabase();
    servers = await Promise.all([0, 1].map(() => startServer({ databaseUrl: database.url, env: SETTINGS })));
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    await Promise.all(servers.map((s) => s.stop()));
    await database?.drop();
  });

  const jobs = async () =>
    (
      await client.query<JobRow>(
        "SELECT name, CASE WHEN lease_until > now() THEN lease_owner END AS holder, runs::int AS runs FROM jobs WHERE name IN ('completer', 'reaper', 'cleanup') ORDER BY name",
      )
    ).rows;

  it("runs each job on one instance at a time, and hands it over when its holder dies", async () => {
    const held = await poll(async () => (await jobs()).length === 3 && (await jobs()).every((j) => j.holder) && jobs(), {
      timeoutMs: 15_000,
      message: "the jobs never got a holder",
    });
    const owners = new Set(held.map((j) => j.holder));
    // Each holder is one of the two processes (owner = host:pid:…).
    for (const owner of owners) expect(servers.some((s) => owner!.includes(`:${s.pid}:`))).toBe(true);
    const cleanup = held.find((j) => j.name === "cleanup")!;
    // Two leases later, every job still has its holder, the cleanup (idle for an hour) included.
    await new Promise((resolve) => setTimeout(resolve, 4_500));
    expect(await jobs()).toEqual(held.map((j) => ({ ...j, runs: expect.any(Number) as number })));
    const victim = servers.find((s) => cleanup.holder!.includes(`:${s.pid}:`))!;
    const survivor = servers.find((s) => s !== victim)!;
    const killedAt = Date.now();
    await victim.kill();
    const taken = await poll(async () => (await jobs()).every((j) => j.holder?.includes(`:${survivor.pid}:`)) && jobs(), {
      timeoutMs: 15_000,
      intervalMs: 100,
      message: "the survivor never took the jobs over",
    });
    console.log(`scheduler: the survivor held every job ${Date.now() - killedAt} ms after the holder was killed (lease 2 s)`);
    // And runs them: its figures keep coming (the cleanup's run at takeover counted too).
    const runs = Object.fromEntries(taken.map((j) => [j.name, j.runs]));
    await poll(async () => (await jobs()).every((j) => j.name === "cleanup" || j.runs > runs[j.name]!), {
      timeoutMs: 15_000,
      message: "the jobs stopped running",
    });
    servers = [survivor];
  });
});
