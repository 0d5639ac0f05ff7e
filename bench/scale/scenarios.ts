import type autocannon from "autocannon";
import { API_KEYS, newKey } from "../../fixtures";

const MERCHANT = "alice";
const AUTH = { authorization: `Bearer ${API_KEYS[MERCHANT]}` };
const JSON_AUTH = { ...AUTH, "content-type": "application/json" };
const BODY = JSON.stringify({ amount: 1000, currency: "usd" });

/** Whether a scenario writes (measured longer, and compared with the empty database) or reads (held to a bound). */
export type ScenarioKind = "write" | "read";

export interface Scenario {
  name: string;
  kind: ScenarioKind;
  options: autocannon.Options;
}

/**
 * The dashboard's polled reads, as the browser asks for them (app/dashboard: every second, the
 * page's default window and filters), plus the 24 h window, the heaviest it offers, and the key
 * timeline a click on a record opens (of a key with an ordinary history: not the replay load's,
 * which has thousands of requests). The provider simulator's chaos toggle (polled too) asks the
 * provider, not the database: left out.
 */
export function dashboardQueries(timelineKey: string): [string, unknown][] {
  return [
    ["dashboard.summary", { window: "5m" }],
    ["dashboard.summary", { window: "24h" }],
    ["dashboard.timeseries", { window: "5m" }],
    ["dashboard.timeseries", { window: "24h" }],
    ["dashboard.provider", { window: "5m" }],
    ["dashboard.records", { limit: 50 }],
    ["dashboard.jobs", undefined],
    ["dashboard.keyTimeline", { merchant: MERCHANT, operation: "payment.create", key: timelineKey }],
    ["events.summary", undefined],
    ["events.revenue", { days: 30 }],
  ];
}

const trpcUrl = (base: string, path: string, input: unknown) =>
  `${base}/api/trpc/${path}${input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`}`;

const label = (path: string, input: unknown) => {
  const window = (input as { window?: string } | undefined)?.window;
  return window ? `${path} ${window}` : path;
};

/** The keys scenarios use: the replay load's, and one paid and replayed once, for the key timeline. */
export interface BenchKeys {
  replay: string;
  timeline: string;
}

/** Every scenario, in the order measured; `deepAfter` is the event id the deep page starts after. */
export function scenarios(base: string, keys: BenchKeys, deepAfter: string): Scenario[] {
  const payments = `${base}/api/v1/payments`;
  return [
    {
      name: "fresh",
      kind: "write",
      options: {
        url: payments,
        requests: [{ method: "POST", body: BODY, setupRequest: (r: object) => ({ ...r, headers: { ...JSON_AUTH, "idempotency-key": newKey() } }) }],
      },
    },
    { name: "replay", kind: "write", options: { url: payments, method: "POST", body: BODY, headers: { ...JSON_AUTH, "idempotency-key": keys.replay } } },
    { name: "balance", kind: "read", options: { url: `${base}/api/v1/balance`, headers: AUTH } },
    { name: "events deep page", kind: "read", options: { url: `${base}/api/v1/events?limit=100&after=${encodeURIComponent(deepAfter)}`, headers: AUTH } },
    ...dashboardQueries(keys.timeline).map(([path, input]) => ({
      name: label(path, input),
      kind: "read" as const,
      options: { url: trpcUrl(base, path, input) },
    })),
  ];
}

export { BODY, JSON_AUTH, MERCHANT };
