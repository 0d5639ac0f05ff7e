import type { Logger } from "pino";
import { statement, type Sql } from "../db/sql";

/** What one run of a job did. */
export interface JobRun {
  /** More is waiting (a full batch): run again soon, not after the whole interval. */
  more?: boolean;
  /** What it did, by kind (rows deleted per table, payments settled…): summed into the job's totals. */
  counts?: Record<string, number>;
  /** With `more`: how long to leave before the next run (room for requests; the cleanup's pacing). At once by default. */
  pauseMs?: number;
}

/** A recurring job: one run at a time per job, on one instance at a time. */
export interface Job {
  name: string;
  intervalMs: number;
  run(): Promise<JobRun | void>;
}

export interface SchedulerOptions {
  /** This process, as the lease names it. */
  owner: string;
  /** How long a dead instance keeps its jobs from the others. */
  leaseMs: number;
  log: Logger;
  /** Told of every run (metrics). */
  onRun?: (job: string, outcome: "ok" | "failed", counts: Record<string, number>) => void;
}

/** What this process has done since it last wrote to the job's row (its lease renewals carry it). */
interface Pending {
  runs: number;
  failures: number;
  finishedAt: Date | null;
  error: string | null;
  totals: Record<string, number>;
}

// Take or renew the job's lease: only if it is ours, free, or run out. The run figures since the
// last renewal travel with it, so a job that runs every 200 ms does not write a row every 200 ms.
const LEASE = statement(
  "job_lease",
  `INSERT INTO jobs (name, lease_owner, lease_until, runs, failures, last_finished_at, last_error, totals)
   VALUES ($1, $2, now() + $3::int * interval '1 millisecond', $4::bigint, $5::bigint, $6::timestamptz, $7, $8::jsonb)
   ON CONFLICT (name) DO UPDATE SET
     lease_owner = EXCLUDED.lease_owner, lease_until = EXCLUDED.lease_until,
     runs = jobs.runs + EXCLUDED.runs, failures = jobs.failures + EXCLUDED.failures,
     last_finished_at = coalesce(EXCLUDED.last_finished_at, jobs.last_finished_at),
     last_error = CASE WHEN EXCLUDED.last_finished_at IS NULL THEN jobs.last_error ELSE EXCLUDED.last_error END,
     totals = coalesce((SELECT jsonb_object_agg(k, coalesce((jobs.totals->>k)::bigint, 0) + coalesce((EXCLUDED.totals->>k)::bigint, 0))
                          FROM (SELECT jsonb_object_keys(jobs.totals) UNION SELECT jsonb_object_keys(EXCLUDED.totals)) AS keys(k)), '{}'::jsonb)
   WHERE jobs.lease_owner = EXCLUDED.lease_owner OR jobs.lease_until IS NULL OR jobs.lease_until < now()
   RETURNING name`,
);
const RELEASE = statement("job_release", "UPDATE jobs SET lease_until = NULL WHERE name = $1 AND lease_owner = $2");

/**
 * The one scheduler for the recurring jobs. Each job has a lease on its row of `jobs`: the instance
 * holding it runs the job on its interval and renews the lease every third of it, whatever the
 * job's interval; the others look again every half lease, and the first to find it run out (its
 * holder dead or stopped) takes the job over. One small loop per job and a lease row,
 * rather than a job library: graphile-worker and pg-boss each want connections of their own (a
 * LISTEN connection, a pool), and the embedded database has exactly one, shared with requests.
 *
 * "One instance at a time" saves work; it is not what makes the jobs safe. Each job is safe run
 * twice at once (a paused instance may run once more before it sees its lease gone): the
 * completer and reaper take records over by compare-and-swap, the relay and the cleanup skip
 * locked rows, consumers are idempotent calls.
 */
export class Scheduler {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly running = new Set<Promise<void>>();
  /** Until when (this process's clock, counted from before asking) each held lease runs. */
  private readonly held = new Map<string, number>();
  private readonly pending = new Map<string, Pending>();
  private stopped = false;
  private heartbeat: NodeJS.Timeout | null = null;

  constructor(
    private readonly sql: Sql,
    private readonly jobs: Job[],
    private readonly options: SchedulerOptions,
  ) {}

  start(): void {
    this.stopped = false;
    for (const job of this.jobs) this.schedule(job, 0);
    // The jobs this process holds stay its own while it lives, however long their intervals: a
    // cleanup that runs every minute keeps one holder, rather than whoever looks first each time.
    this.heartbeat = setInterval(() => void this.renewHeld(), this.options.leaseMs / 3).unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await Promise.allSettled([...this.running]);
    // Handed back, figures and all, so another instance takes over at once rather than at the lease's end.
    await Promise.allSettled(
      [...this.held.keys()].map(async (name) => {
        await this.lease(name);
        await this.sql.count(RELEASE, [name, this.options.owner]);
      }),
    );
    this.held.clear();
  }

  private schedule(job: Job, delayMs: number): void {
    if (this.stopped) return;
    this.timers.set(
      job.name,
      setTimeout(() => {
        const tick = this.tick(job).finally(() => this.running.delete(tick));
        this.running.add(tick);
      }, delayMs).unref(),
    );
  }

  private async tick(job: Job): Promise<void> {
    let next = job.intervalMs;
    let mine = false;
    try {
      mine = await this.hold(job.name);
    } catch (error) {
      this.options.log.warn({ err: error, job: job.name }, "job lease failed");
    }
    if (mine) {
      let ended: { result: JobRun } | { error: unknown };
      try {
        ended = { result: (await job.run()) ?? {} };
      } catch (error) {
        ended = { error };
      }
      // Taken after the run: a renewal meanwhile has written (and dropped) what was pending before.
      const pending = this.pendingOf(job.name);
      if ("result" in ended) {
        const counts = ended.result.counts ?? {};
        for (const [kind, n] of Object.entries(counts)) pending.totals[kind] = (pending.totals[kind] ?? 0) + n;
        pending.runs++;
        pending.error = null;
        this.options.onRun?.(job.name, "ok", counts);
        if (ended.result.more) next = ended.result.pauseMs ?? 0;
      } else {
        pending.failures++;
        pending.error = ended.error instanceof Error ? ended.error.message.slice(0, 500) : String(ended.error);
        this.options.onRun?.(job.name, "failed", {});
        this.options.log.warn({ err: ended.error, job: job.name }, "job run failed");
      }
      pending.finishedAt = new Date();
    } else {
      // A standby looks again every half lease: a holder that died is replaced within a lease and a
      // half, whatever the job's interval.
      next = this.options.leaseMs / 2;
    }
    this.schedule(job, next);
  }

  private async renewHeld(): Promise<void> {
    for (const name of [...this.held.keys()]) {
      await this.lease(name).catch((error: unknown) => this.options.log.warn({ err: error, job: name }, "job lease renewal failed"));
    }
  }

  /** Whether this process holds the job's lease, renewing it once half of it is gone. */
  private async hold(name: string): Promise<boolean> {
    const until = this.held.get(name);
    if (until !== undefined && until - Date.now() > this.options.leaseMs / 2) return true;
    return this.lease(name);
  }

  /**
   * Takes or renews the lease, carrying the figures pending since the last write. They are taken
   * out first (a renewal and a run's own check may ask at once: each writes only its own), and
   * put back if they were not written.
   */
  private async lease(name: string): Promise<boolean> {
    const asked = Date.now();
    const pending = this.pendingOf(name);
    this.pending.delete(name);
    let row: { name: string } | undefined;
    try {
      [row] = await this.sql.rows<{ name: string }>(LEASE, [
        name,
        this.options.owner,
        this.options.leaseMs,
        pending.runs,
        pending.failures,
        pending.finishedAt,
        pending.error,
        JSON.stringify(pending.totals),
      ]);
    } catch (error) {
      this.putBack(name, pending);
      throw error;
    }
    if (!row) {
      this.putBack(name, pending);
      this.held.delete(name);
      return false;
    }
    this.held.set(name, asked + this.options.leaseMs);
    return true;
  }

  private putBack(name: string, unwritten: Pending): void {
    const pending = this.pendingOf(name);
    pending.runs += unwritten.runs;
    pending.failures += unwritten.failures;
    // The last run's ending wins: one that finished since then has the newer word.
    if (pending.finishedAt === null) Object.assign(pending, { finishedAt: unwritten.finishedAt, error: unwritten.error });
    for (const [kind, n] of Object.entries(unwritten.totals)) pending.totals[kind] = (pending.totals[kind] ?? 0) + n;
  }

  private pendingOf(name: string): Pending {
    let pending = this.pending.get(name);
    if (!pending) this.pending.set(name, (pending = { runs: 0, failures: 0, finishedAt: null, error: null, totals: {} }));
    return pending;
  }
}
