"use client";

import type { inferRouterOutputs } from "@trpc/server";
import { Area, AreaChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { AppRouter } from "@/server/trpc/routers/_app";

export type Point = inferRouterOutputs<AppRouter>["dashboard"]["timeseries"][number];

const OUTCOMES = [
  ["executed", "#3b5bdb"],
  ["replayed", "#2b8a3e"],
  ["conflict", "#f08c00"],
  ["mismatch", "#ae3ec9"],
  ["rejected", "#868e96"],
  ["failed", "#c92a2a"],
] as const;

const time = (t: string) => new Date(t).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
// The tooltip's label is the point's `t`, an ISO string; anything else is shown as it is.
const timeLabel = (label: React.ReactNode) => (typeof label === "string" ? time(label) : label);

function Frame({ title, children }: { title: string; children: React.ReactElement }) {
  return (
    <figure className="card chart">
      <figcaption>{title}</figcaption>
      <div className="chart-box">
        <ResponsiveContainer width="100%" height="100%">
          {children}
        </ResponsiveContainer>
      </div>
    </figure>
  );
}

export function OutcomesChart({ points }: { points: Point[] }) {
  return (
    <Frame title="Requests per outcome">
      <AreaChart data={points} margin={{ top: 4, right: 8, bottom: 0, left: -20 }}>
        <CartesianGrid strokeDasharray="3 3" vertical={false} />
        <XAxis dataKey="t" tickFormatter={time} minTickGap={40} fontSize={11} />
        <YAxis allowDecimals={false} fontSize={11} />
        <Tooltip labelFormatter={timeLabel} />
        <Legend wrapperStyle={{ fontSize: 12 }} />
        {OUTCOMES.map(([key, color]) => (
          <Area key={key} type="step" dataKey={key} stackId="outcomes" stroke="none" fill={color} fillOpacity={0.7} isAnimationActive={false} />
        ))}
      </AreaChart>
    </Frame>
  );
}

export function LatencyChart({ points }: { points: Point[] }) {
  const lines = [
    ["freshP50", "fresh p50", "#3b5bdb", undefined],
    ["freshP95", "fresh p95", "#748ffc", "4 2"],
    ["freshP99", "fresh p99", "#bac8ff", "2 2"],
    ["replayP50", "replay p50", "#2b8a3e", undefined],
    ["replayP95", "replay p95", "#69db7c", "4 2"],
    ["replayP99", "replay p99", "#b2f2bb", "2 2"],
  ] as const;
  return (
    <Frame title="Latency, fresh vs replayed (ms)">
      <LineChart data={points} margin={{ top: 4, right: 8, bottom: 0, left: -20 }}>
        <CartesianGrid strokeDasharray="3 3" vertical={false} />
        <XAxis dataKey="t" tickFormatter={time} minTickGap={40} fontSize={11} />
        <YAxis fontSize={11} />
        <Tooltip labelFormatter={timeLabel} formatter={(v) => (typeof v === "number" ? `${v.toFixed(1)} ms` : String(v))} />
        <Legend wrapperStyle={{ fontSize: 12 }} />
        {lines.map(([key, name, color, dash]) => (
          <Line key={key} dataKey={key} name={name} stroke={color} strokeDasharray={dash} dot={{ r: 2 }} connectNulls isAnimationActive={false} />
        ))}
      </LineChart>
    </Frame>
  );
}

export function ReplayRateChart({ points }: { points: Point[] }) {
  return (
    <Frame title="Replay rate">
      <LineChart data={points} margin={{ top: 4, right: 8, bottom: 0, left: -20 }}>
        <CartesianGrid strokeDasharray="3 3" vertical={false} />
        <XAxis dataKey="t" tickFormatter={time} minTickGap={40} fontSize={11} />
        <YAxis domain={[0, 1]} tickFormatter={(v: number) => `${Math.round(v * 100)}%`} fontSize={11} />
        <Tooltip labelFormatter={timeLabel} formatter={(v) => (typeof v === "number" ? `${(v * 100).toFixed(1)}%` : String(v))} />
        <Line dataKey="replayRate" name="replay rate" stroke="#2b8a3e" dot={{ r: 2 }} connectNulls isAnimationActive={false} />
      </LineChart>
    </Frame>
  );
}
