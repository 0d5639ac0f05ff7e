"use client";

import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/trpc/routers/_app";
import { formatMoney } from "../../_checkout/catalog";

export type SummaryView = inferRouterOutputs<AppRouter>["dashboard"]["summary"];

export function Headline({ summary }: { summary: SummaryView | undefined }) {
  const tiles: [string, string, string][] = summary
    ? [
        ["requests", "Requests", String(summary.requests)],
        ["executed", "Executed", String(summary.executed)],
        ["replayed", "Replayed", String(summary.replayed)],
        ["conflicts", "In-flight conflicts (409)", String(summary.conflicts)],
        ["mismatches", "Key reuse mismatches (422)", String(summary.mismatches)],
        ["rejected", "Rejected (400/401)", String(summary.rejected)],
        ["failed", "Transient failures (5xx)", String(summary.failed)],
        ["replay-rate", "Replay rate", `${(summary.replayRate * 100).toFixed(1)}%`],
        ["prevented", "Duplicates prevented", String(summary.duplicatesPrevented)],
        [
          "protected",
          "Money protected",
          summary.moneyProtected.length ? summary.moneyProtected.map((m) => formatMoney(m.amount, m.currency)).join(" · ") : "—",
        ],
      ]
    : [];
  return (
    <section className="tiles" aria-label="Headline figures" aria-busy={!summary}>
      {tiles.map(([id, label, value]) => (
        <div key={id} className="tile" data-testid={`tile-${id}`}>
          <span className="muted">{label}</span>
          <strong>{value}</strong>
        </div>
      ))}
    </section>
  );
}
