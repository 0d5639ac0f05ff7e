"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../../_trpc/client";
import { WebhookChaosToggle } from "./webhook-chaos";

/** Refund origins, always shown: a refund started through the API, or one the provider told us of. */
const ORIGINS = ["api", "provider"] as const;

/**
 * The provider's webhooks over the window: every request to the endpoint, the events applied, the
 * duplicates dropped (replayed), the events that changed nothing by note, rejected signatures; and
 * succeeded refunds by origin. Not per merchant: the provider signs for all of them.
 */
export function ProviderPanel({ window }: { window: "5m" | "1h" | "24h" }) {
  const trpc = useTRPC();
  const { data } = useQuery({ ...trpc.dashboard.provider.queryOptions({ window }), refetchInterval: 1000 });
  const figures: [string, string, string][] = data
    ? [
        ["received", "Events received", String(data.received)],
        ["applied", "Applied", String(data.applied)],
        ["replayed", "Duplicates dropped (replayed)", String(data.replayed)],
        ["not-applied", "Changed nothing", String(data.notApplied.reduce((n, e) => n + e.count, 0))],
        ["refused", "Refused by the checks against the payment", String(data.refused)],
        ["awaiting", "Waiting for their payment to settle", String(data.awaiting)],
        ["rejected", "Rejected signatures", String(data.rejected)],
        ...ORIGINS.map((o): [string, string, string] => [
          `refunds-${o}`,
          `Refunds succeeded (${o})`,
          String(data.refunds.find((r) => r.origin === o)?.count ?? 0),
        ]),
      ]
    : [];
  return (
    <section className="card" data-testid="provider-panel" aria-label="Provider" aria-busy={!data}>
      <h2>Provider</h2>
      <p className="muted small">
        Webhooks at <code>/api/v1/webhooks/provider</code>: every request in <code>request_log</code> (via <code>webhook</code>), every event in{" "}
        <code>webhook_events</code>.
      </p>
      <WebhookChaosToggle />
      <div className="tiles">
        {figures.map(([id, label, value]) => (
          <div key={id} className="tile" data-testid={`provider-${id}`}>
            <span className="muted">{label}</span>
            <strong>{value}</strong>
          </div>
        ))}
      </div>
      {data && data.notApplied.length > 0 && (
        <>
          <h3>Applied out of order or changed nothing, by note</h3>
          <ul data-testid="provider-not-applied-notes">
            {data.notApplied.map((e) => (
              <li key={e.note ?? ""} data-testid={`provider-note-${e.note ?? "none"}`}>
                <code>{e.note ?? "—"}</code> <strong>{e.count}</strong>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
