"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import { useState } from "react";
import { Bar, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { AppRouter } from "@/server/trpc/routers/_app";
import { formatMoney } from "../../_checkout/catalog";
import { useTRPC } from "../../_trpc/client";

type Outputs = inferRouterOutputs<AppRouter>["events"];
export type EventsSummary = Outputs["summary"];
type RevenueDay = Outputs["revenue"][number];

/** Polled every second, like the rest of the dashboard. */
const LIVE = { refetchInterval: 1000 } as const;

const CONSUMER_FIGURES = [
  ["applied", "Applied"],
  ["duplicates", "Duplicates dropped (record or inbox)"],
] as const;

export function useEventsSummary() {
  const trpc = useTRPC();
  return useQuery({ ...trpc.events.summary.queryOptions(), ...LIVE });
}

/**
 * The event path: the transactional outbox, the relay to JetStream (or the in-process outbox
 * readers without a broker), and per consumer what it applied, what it dropped as a duplicate and
 * how far behind it is. Not per merchant: the outbox is one for all of them.
 */
export function EventsPanel() {
  const { data } = useEventsSummary();
  const figures: [string, string, string][] = data
    ? [
        ["mode", "Mode", data.mode === "jetstream" ? "JetStream" : "In-process outbox"],
        ["produced", "Events produced", String(data.produced)],
        ["published", "Published", data.published === null ? "in-process" : String(data.published)],
        ["broker-duplicates", "Duplicates dropped by the broker", data.brokerDuplicates === null ? "—" : String(data.brokerDuplicates)],
      ]
    : [];
  return (
    <section className="card" data-testid="events-panel" aria-label="Events" aria-busy={!data}>
      <h2>Events</h2>
      <p className="muted small">
        Written to <code>events</code> in the payment&apos;s own transaction (the outbox); consumers apply each once, recorded in <code>consumer_inbox</code>.
      </p>
      <div className="tiles">
        {figures.map(([id, label, value]) => (
          <div key={id} className="tile" data-testid={`events-${id}`}>
            <span className="muted">{label}</span>
            <strong>{value}</strong>
          </div>
        ))}
      </div>
      {data?.consumers.map((c) => (
        <div key={c.name} data-testid={`consumer-${c.name}`}>
          <h3>
            Consumer <code>{c.name}</code>
          </h3>
          <div className="tiles">
            {CONSUMER_FIGURES.map(([key, label]) => (
              <div key={key} className="tile" data-testid={`consumer-${c.name}-${key}`}>
                <span className="muted">{label}</span>
                <strong>{c[key]}</strong>
              </div>
            ))}
            <div className="tile" data-testid={`consumer-${c.name}-lag`}>
              <span className="muted">Behind</span>
              <strong>{lag(c.lagEvents, c.lagSeconds)}</strong>
            </div>
            <div className="tile" data-testid={`consumer-${c.name}-watermark`}>
              <span className="muted">Last watermark</span>
              <strong>{c.watermark}</strong>
            </div>
          </div>
        </div>
      ))}
      <RebuildProjection />
    </section>
  );
}

const lag = (events: number, seconds: number) => `${events} ${events === 1 ? "event" : "events"} / ${seconds.toFixed(1)} s`;

/** Rebuilds the revenue projection from the outbox into a new version, swapped in whole when done. */
function RebuildProjection() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const rebuild = useMutation(
    trpc.events.rebuild.mutationOptions({
      onSettled: () => void queryClient.invalidateQueries({ queryKey: trpc.events.pathKey() }),
    }),
  );
  return (
    <div className="row wrap">
      <button type="button" className="action" data-testid="rebuild-projection" disabled={rebuild.isPending} onClick={() => rebuild.mutate()}>
        {rebuild.isPending ? "Rebuilding…" : "Rebuild projection"}
      </button>
      <p className="muted small" role="status" data-testid="rebuild-report">
        {rebuild.error
          ? `Not rebuilt: ${rebuild.error.message}`
          : rebuild.data
            ? `Rebuilt v${rebuild.data.version}: ${rebuild.data.events} ${rebuild.data.events === 1 ? "event" : "events"} in ${rebuild.data.ms} ms.`
            : "Replays every event into a new version of the revenue projection, then swaps it in."}
      </p>
    </div>
  );
}

interface DayPoint {
  day: string;
  gross: number;
  refunds: number;
  disputes: number;
  net: number;
}

/** One point per day for one currency, summed over merchants when the dashboard shows them all. */
function perDay(rows: RevenueDay[], currency: string): DayPoint[] {
  const days = new Map<string, DayPoint>();
  for (const r of rows) {
    if (r.currency !== currency) continue;
    const d = days.get(r.day) ?? { day: r.day, gross: 0, refunds: 0, disputes: 0, net: 0 };
    d.gross += r.gross;
    d.refunds += r.refunds;
    d.disputes += r.disputes;
    d.net += r.net;
    days.set(r.day, d);
  }
  return [...days.values()].sort((a, b) => a.day.localeCompare(b.day));
}

/** The caption's projection state: "v3 · 0 events / 0.0 s behind", and the version being built. */
export function projectionCaption(revenue: EventsSummary["revenue"]): string {
  const live = `v${revenue.version} · ${lag(revenue.lagEvents, revenue.lagSeconds)} behind`;
  return revenue.building === null ? live : `${live} · rebuilding v${revenue.building}`;
}

/** Net revenue per day from the revenue projection, with gross and refunds as bars; one currency at a time. */
export function RevenueChart({ merchant }: { merchant: string | undefined }) {
  const trpc = useTRPC();
  const summary = useEventsSummary();
  const revenue = useQuery({ ...trpc.events.revenue.queryOptions({ merchant, days: 30 }), ...LIVE });
  const rows = revenue.data ?? [];
  const currencies = [...new Set(rows.map((r) => r.currency))].sort();
  const [chosen, setChosen] = useState<string>("usd");
  const currency = currencies.includes(chosen) ? chosen : (currencies[0] ?? chosen);
  const points = perDay(rows, currency);
  const money = (v: unknown) => (typeof v === "number" ? formatMoney(v, currency) : String(v));
  return (
    <figure className="card chart" data-testid="revenue-chart" aria-busy={!revenue.data}>
      <figcaption>
        <div className="row wrap">
          <span>Revenue per day</span>
          <select aria-label="Currency" value={currency} onChange={(e) => setChosen(e.target.value)} disabled={currencies.length < 2}>
            {(currencies.length ? currencies : [currency]).map((c) => (
              <option key={c} value={c}>
                {c.toUpperCase()}
              </option>
            ))}
          </select>
        </div>
        <span className="muted small" data-testid="revenue-version">
          {summary.data ? projectionCaption(summary.data.revenue) : "…"}
        </span>
      </figcaption>
      <div className="chart-box">
        <ResponsiveContainer width="100%" height="100%">
          <ComposedChart data={points} margin={{ top: 4, right: 8, bottom: 0, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} />
            <XAxis dataKey="day" minTickGap={20} fontSize={11} />
            <YAxis fontSize={11} tickFormatter={(v: number) => formatMoney(v, currency)} width={72} />
            <Tooltip formatter={money} />
            <Legend wrapperStyle={{ fontSize: 12 }} />
            <Bar dataKey="gross" name="gross" fill="#748ffc" isAnimationActive={false} />
            <Bar dataKey="refunds" name="refunds" fill="#f08c00" isAnimationActive={false} />
            <Line dataKey="net" name="net" stroke="#2b8a3e" dot={{ r: 3 }} isAnimationActive={false} />
          </ComposedChart>
        </ResponsiveContainer>
      </div>
    </figure>
  );
}
