"use client";

import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/trpc/routers/_app";

/** A key's timeline (its record, requests and webhooks), as payment.timeline and dashboard.keyTimeline both answer. */
export type KeyTimelineData = inferRouterOutputs<AppRouter>["payment"]["timeline"];
type RecoveryPoint = NonNullable<KeyTimelineData["record"]>["recoveryPoints"][number];
type KeyRequest = KeyTimelineData["requests"][number];
type KeyWebhook = KeyTimelineData["webhooks"][number];

/** Who sent a request: a client through REST or tRPC, or the completer resuming an abandoned key. */
const VIA_LABEL: Record<string, string> = { rest: "REST", trpc: "tRPC", job: "completer" };

export const viaLabel = (via: string | null) => (via ? (VIA_LABEL[via] ?? via) : "—");

const when = (iso: string) => new Date(iso).toLocaleTimeString();

/** The executions that resumed an earlier one, in order. */
export const resumptions = (requests: KeyRequest[]) => requests.filter((r) => r.resumedFrom !== null);

/** Each step committed on the record, with when: what a retry, a takeover or the completer resumes from. */
export function RecoveryPoints({ points }: { points: RecoveryPoint[] }) {
  if (points.length === 0) return <p className="muted small">No recovery point committed.</p>;
  return (
    <ol className="recovery-points" data-testid="recovery-points">
      {points.map((p) => (
        <li key={p.point}>
          recovery point <code>{p.point}</code> <span className="muted">at {when(p.at)}</span>
        </li>
      ))}
    </ol>
  );
}

/** Every request the server saw with the key: resumptions and completer runs stand out. */
export function TimelineRequests({ requests, testId }: { requests: KeyRequest[]; testId: string }) {
  return (
    <ol className="requests" data-testid={testId}>
      {requests.map((r, i) => (
        <li key={i} className={`outcome-${r.outcome}`}>
          <span>{when(r.at)}</span> <strong>{r.outcome}</strong> {r.status} · {viaLabel(r.via)} · {r.latencyMs.toFixed(1)} ms
          {r.via === "job" && <span className="badge">completer run</span>}
          {r.resumedFrom && (
            <span className="badge" data-testid="resumed-from">
              resumed from {r.resumedFrom}
            </span>
          )}
        </li>
      ))}
    </ol>
  );
}

/** The provider's events about the payment: applied, or the note saying why it changed nothing. */
export function TimelineWebhooks({ webhooks, testId }: { webhooks: KeyWebhook[]; testId: string }) {
  if (webhooks.length === 0) return null;
  return (
    <ol className="requests" data-testid={testId}>
      {webhooks.map((w, i) => (
        <li key={i} className={w.applied ? "outcome-executed" : "outcome-replayed"}>
          <span>{when(w.receivedAt)}</span> <span className="badge">webhook</span> <strong>{w.type}</strong> ·{" "}
          {w.applied ? "applied" : `not applied: ${w.note ?? "—"}`}
        </li>
      ))}
    </ol>
  );
}
