"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { useMerchant, useTRPC } from "../_trpc/client";
import { LatencyChart, OutcomesChart, ReplayRateChart } from "./_components/charts";
import { EventsPanel, RevenueChart } from "./_components/events";
import { Headline } from "./_components/headline";
import { JobsPanel } from "./_components/jobs";
import { ProviderPanel } from "./_components/provider";
import { KeyTimeline, Records, STATES, type RecordState, type SelectedKey } from "./_components/records";

const WINDOWS = [
  ["5m", "Last 5 min"],
  ["1h", "Last hour"],
  ["24h", "Last 24 h"],
] as const;

/** Polled every second: the request history and the records live in the database, so every instance shows the same. */
const LIVE = { refetchInterval: 1000 } as const;

export default function DashboardPage() {
  const trpc = useTRPC();
  const { merchants } = useMerchant();
  const [window, setWindow] = useState<(typeof WINDOWS)[number][0]>("5m");
  const [merchant, setMerchant] = useState<string>("");
  const [state, setState] = useState<RecordState | "">("");
  const [search, setSearch] = useState("");
  const [selected, setSelected] = useState<SelectedKey | null>(null);
  const scope = { window, merchant: merchant || undefined };
  const summary = useQuery({ ...trpc.dashboard.summary.queryOptions(scope), ...LIVE });
  const series = useQuery({ ...trpc.dashboard.timeseries.queryOptions(scope), ...LIVE });
  const points = series.data ?? [];

  return (
    <main className="wide">
      <header className="top">
        <h1>Idempotency dashboard</h1>
        <Link href="/">Checkout →</Link>
      </header>
      <div className="controls card">
        <div role="radiogroup" aria-label="Window" className="segmented">
          {WINDOWS.map(([id, label]) => (
            <button key={id} type="button" role="radio" aria-checked={window === id} className={window === id ? "on" : ""} onClick={() => setWindow(id)}>
              {label}
            </button>
          ))}
        </div>
        <label className="merchant">
          <span>Merchant</span>
          <select value={merchant} onChange={(e) => setMerchant(e.target.value)}>
            <option value="">All merchants</option>
            {merchants.map((m) => (
              <option key={m.id} value={m.id}>
                {m.name}
              </option>
            ))}
          </select>
        </label>
      </div>

      <Headline summary={summary.data} />

      <div className="charts">
        <OutcomesChart points={points} />
        <LatencyChart points={points} />
        <ReplayRateChart points={points} />
      </div>

      <ProviderPanel window={window} />

      <EventsPanel />
      <RevenueChart merchant={merchant || undefined} />

      <JobsPanel />

      <section className="card">
        <div className="row wrap">
          <h2>Recent records</h2>
          <div className="filters">
            <select aria-label="State" value={state} onChange={(e) => setState(e.target.value as RecordState | "")}>
              <option value="">Any state</option>
              {STATES.map((s) => (
                <option key={s} value={s}>
                  {s.replace("_", " ")}
                </option>
              ))}
            </select>
            <input type="search" aria-label="Search by key" placeholder="Search by key" value={search} onChange={(e) => setSearch(e.target.value)} />
          </div>
        </div>
        <Records merchant={merchant || undefined} state={state || undefined} search={search} selected={selected} onSelect={setSelected} />
        <p className="muted small">The records of the keys in the latest 1 000 requests, and every record in flight.</p>
      </section>
      {selected && <KeyTimeline selected={selected} onClose={() => setSelected(null)} />}
      <p className="muted small">
        Request history: one row per request in <code>request_log</code>, kept 7 days by default (<code>REQUEST_LOG_RETENTION_DAYS</code>), aggregated in SQL;
        live counters for Prometheus at{" "}
        {/* eslint-disable-next-line @next/next/no-html-link-for-pages -- a route handler serving Prometheus text, not a page: a plain browser navigation */}
        <a href="/api/metrics">/api/metrics</a>.
      </p>
    </main>
  );
}
