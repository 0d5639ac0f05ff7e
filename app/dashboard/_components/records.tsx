"use client";

import { useQuery } from "@tanstack/react-query";
import { RECORD_STATES } from "@/server/dashboard/schema";
import { RecoveryPoints, resumptions, TimelineRequests, TimelineWebhooks } from "../../_components/key-timeline";
import { useTRPC } from "../../_trpc/client";

export const STATES = RECORD_STATES;
export type RecordState = (typeof STATES)[number];

const STATE_LABEL: Record<RecordState, string> = {
  in_progress: "in progress",
  completed: "completed",
  released: "released",
  expired: "expired",
};

export interface SelectedKey {
  merchant: string;
  operation: string;
  key: string;
}

const when = (iso: string) => new Date(iso).toLocaleTimeString();

export function Records({
  merchant,
  state,
  search,
  selected,
  onSelect,
}: {
  merchant?: string;
  state?: RecordState;
  search: string;
  selected: SelectedKey | null;
  onSelect: (key: SelectedKey) => void;
}) {
  const trpc = useTRPC();
  const records = useQuery({ ...trpc.dashboard.records.queryOptions({ merchant, state, search: search || undefined, limit: 50 }), refetchInterval: 1000 });
  const rows = records.data ?? [];
  return (
    <div className="table-wrap">
      <table className="records" data-testid="records">
        <thead>
          <tr>
            <th>Key</th>
            <th>Merchant</th>
            <th>Operation</th>
            <th>State</th>
            <th>Requests</th>
            <th>First seen</th>
            <th>Last seen</th>
            <th>Response</th>
            <th>Payment</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => {
            const isSelected = selected?.key === r.key && selected.merchant === r.merchant && selected.operation === r.operation;
            return (
              <tr key={`${r.merchant}/${r.operation}/${r.key}`} className={isSelected ? "selected" : undefined}>
                <td>
                  <button type="button" className="link key-button" onClick={() => onSelect({ merchant: r.merchant, operation: r.operation, key: r.key })}>
                    {r.key}
                  </button>
                </td>
                <td>{r.merchant}</td>
                <td>{r.operation}</td>
                <td>
                  <span className={`state state-${r.state}`}>{STATE_LABEL[r.state]}</span>
                </td>
                <td>{r.requests}</td>
                <td>{when(r.firstSeen)}</td>
                <td>{when(r.lastSeen)}</td>
                <td>{r.responseStatus ?? "—"}</td>
                <td>{r.paymentId ? <code>{r.paymentId}</code> : "—"}</td>
              </tr>
            );
          })}
          {records.isSuccess && rows.length === 0 && (
            <tr>
              <td colSpan={9} className="muted">
                No idempotency keys match.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}

export function KeyTimeline({ selected, onClose }: { selected: SelectedKey; onClose: () => void }) {
  const trpc = useTRPC();
  const timeline = useQuery({ ...trpc.dashboard.keyTimeline.queryOptions(selected), refetchInterval: 1000 });
  const data = timeline.data;
  return (
    <section className="card timeline" data-testid="timeline" aria-label={`Timeline of ${selected.key}`}>
      <div className="row">
        <h2>
          Key <code>{selected.key}</code>
        </h2>
        <button type="button" className="link" onClick={onClose}>
          Close
        </button>
      </div>
      <p className="muted">
        {selected.merchant} · {selected.operation}
        {data?.record && ` · ${STATE_LABEL[data.record.state]} · executed ${data.record.executions}×`}
      </p>
      {data && (
        <p data-testid="timeline-summary">
          {data.record?.recoveryPoints.length ?? 0} recovery {data.record?.recoveryPoints.length === 1 ? "point" : "points"} ·{" "}
          {resumptions(data.requests).length} resumed · {data.requests.filter((r) => r.via === "job").length} completer runs
        </p>
      )}
      <h3>Recovery points</h3>
      <RecoveryPoints points={data?.record?.recoveryPoints ?? []} />
      <h3>Requests</h3>
      <TimelineRequests requests={data?.requests ?? []} testId="timeline-requests" />
      {data && data.webhooks.length > 0 && (
        <>
          <h3>Webhooks</h3>
          <TimelineWebhooks webhooks={data.webhooks} testId="timeline-webhooks" />
        </>
      )}
      {data?.record?.responseBody && (
        <>
          <h3>Stored response ({data.record.responseStatus})</h3>
          <pre className="stored">{JSON.stringify(JSON.parse(data.record.responseBody), null, 2)}</pre>
        </>
      )}
    </section>
  );
}
