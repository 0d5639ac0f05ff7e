"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../../_trpc/client";

function ago(iso: string | null): string {
  if (!iso) return "never";
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return seconds < 90 ? `${seconds} s ago` : `${Math.round(seconds / 60)} min ago`;
}

/**
 * The scheduled jobs (server/jobs/): the completer, the reaper, the cleanup and the event path's.
 * Each runs on one instance at a time, the holder of its lease; the totals are what its runs did,
 * the cleanup's being the rows it deleted, per table.
 */
export function JobsPanel() {
  const trpc = useTRPC();
  const { data } = useQuery({ ...trpc.dashboard.jobs.queryOptions(), refetchInterval: 1000 });
  return (
    <section className="card" data-testid="jobs-panel" aria-label="Jobs" aria-busy={!data}>
      <h2>Jobs</h2>
      <p className="muted small">
        One scheduler, a lease per job in <code>jobs</code>: the completer finishes what a retry did not, the reaper settles what stayed unsettled past{" "}
        <code>PROCESSING_TIMEOUT_SECONDS</code>, the cleanup deletes what is past its retention in bounded batches.
      </p>
      <table className="records">
        <thead>
          <tr>
            <th>Job</th>
            <th>Running on</th>
            <th>Runs</th>
            <th>Failed</th>
            <th>Last run</th>
            <th>Done so far</th>
          </tr>
        </thead>
        <tbody>
          {(data ?? []).map((job) => (
            <tr key={job.name} data-testid={`job-${job.name}`}>
              <td>
                <code>{job.name}</code>
              </td>
              <td className="small">{job.holder ?? "—"}</td>
              <td>{job.runs}</td>
              <td title={job.lastError ?? undefined}>{job.failures}</td>
              <td className="small">{ago(job.lastFinishedAt)}</td>
              <td className="small" data-testid={`job-${job.name}-totals`}>
                {Object.entries(job.totals)
                  .map(([kind, n]) => `${kind.replaceAll("_", " ")} ${n}`)
                  .join(" · ") || "—"}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
