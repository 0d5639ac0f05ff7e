import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import getPort from "get-port";
import Stripe from "stripe";
import { poll } from "@/fixtures";
import type { EventRecord } from "@/provider/events";
import type { Dispute } from "@/provider/disputes";
import type { PaymentIntent } from "@/provider/payment-intents";
import type { Refund } from "@/provider/refunds";

export interface ProviderProcess {
  url: string;
  port: number;
  pid: number;
  dataDir: string;
  /** Graceful stop (SIGTERM). */
  stop(): Promise<void>;
  /** Crash (SIGKILL): nothing is flushed or closed. */
  kill(): Promise<void>;
  output(): string;
}

export interface ProviderProcessOptions {
  /** Reuse a ledger (say, after a crash); unset means a fresh temporary directory. */
  dataDir?: string;
  /** PROVIDER_WEBHOOK_URL (or PROVIDER_WEBHOOKS=1) here turns webhook delivery on; it is off otherwise. */
  env?: Record<string, string>;
}

/**
 * Delivery defaults to on in the simulator, towards the dev app's URL. A test that brought no sink would
 * then have it retrying in the background against whatever listens on :3000, so it is off unless asked for.
 */
function webhookEnv(env: Record<string, string> = {}): Record<string, string> {
  const asked = env.PROVIDER_WEBHOOK_URL !== undefined || env.PROVIDER_WEBHOOKS !== undefined;
  return asked ? env : { ...env, PROVIDER_WEBHOOKS: "0" };
}

/** The simulator as its own process (`provider/main.ts` under tsx), ready when /health answers. */
export async function startProviderProcess(options: ProviderProcessOptions = {}): Promise<ProviderProcess> {
  const port = await getPort({ host: "127.0.0.1" });
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), "oncepay-provider-"));
  // `node --import tsx`, not the tsx CLI: the CLI runs the server in a child of its own, so a SIGKILL
  // would hit the wrapper and leave the server running.
  const child = spawn(process.execPath, ["--import", "tsx", path.resolve("provider/main.ts")], {
    env: {
      ...process.env,
      PROVIDER_PORT: String(port),
      PROVIDER_HOST: "127.0.0.1",
      PROVIDER_DATA_DIR: dataDir,
      LOG_LEVEL: process.env.TEST_SERVER_LOG_LEVEL ?? "warn",
      ...webhookEnv(options.env),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout?.on("data", (d: Buffer) => (log += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (log += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  try {
    await poll(
      async () => {
        if (child.exitCode !== null) throw new Error(`provider exited with ${child.exitCode}:\n${log}`);
        try {
          return (await fetch(`${url}/health`)).status === 200;
        } catch {
          return false; // not listening yet
        }
      },
      { timeoutMs: 30_000, intervalMs: 100, message: () => `provider at ${url} did not become healthy:\n${log}` },
    );
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  return {
    url,
    port,
    pid: child.pid ?? 0,
    dataDir,
    stop: () => terminate(child, "SIGTERM"),
    kill: () => terminate(child, "SIGKILL"),
    output: () => log,
  };
}

function terminate(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill(signal);
  });
}

export interface ProviderLedger {
  /** Oldest first. */
  payment_intents: PaymentIntent[];
  refunds: Refund[];
  disputes: Dispute[];
  /** The outbox, in the order the changes committed. */
  events: EventRecord[];
}

/** The simulator's whole ledger: the ground truth to reconcile against. */
export async function providerLedger(url: string): Promise<ProviderLedger> {
  const res = await fetch(`${url}/_simulator/ledger`);
  if (res.status !== 200) throw new Error(`ledger answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as ProviderLedger;
}

/** A stripe-node client pointed at the simulator, configured the way Oncepay's server configures its own. */
export function stripeFor(url: string, settings: { apiKey?: string; maxNetworkRetries?: number; timeout?: number } = {}): Stripe {
  const { hostname, port, protocol } = new URL(url);
  return new Stripe(settings.apiKey ?? "sk_test_oncepay", {
    host: hostname,
    port: Number(port),
    protocol: protocol.replace(":", "") as "http" | "https",
    maxNetworkRetries: settings.maxNetworkRetries ?? 2,
    timeout: settings.timeout ?? 10_000,
  });
}
