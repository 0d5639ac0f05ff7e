import { stripeFor } from "@/fixtures/simulator-process";
import { runBackOffice } from "./back-office";
import { runBrowser } from "./browser";
import { check, type Finding } from "./checker";
import { finding } from "./checks/finding";
import { runFaults } from "./faults";
import { History } from "./history";
import type { ChaosOptions } from "./options";
import { quiesce } from "./quiesce";
import { Random } from "./random";
import type { RunContext } from "./run-context";
import { startServices, type Services } from "./services";
import { summarize, type Summary } from "./summary";
import { keepRecords } from "./records";
import { readTruth } from "./truth";

export interface ChaosResult {
  summary: Summary;
  findings: Finding[];
  history: History;
  /** The directory holding each process's output, the histories, the findings and the summary. */
  records: string;
  /** Still running when `keepServices` was asked for; the caller stops them. */
  services?: Services;
}

/** After the run stops starting checkouts, how long an attempt may keep retrying before it counts as unanswered. */
const RETRY_GRACE_MS = 60_000;

/**
 * One run: start the services, let the browsers pay and refund while faults hit the processes,
 * stop the faults, let every attempt finish, wait for everything to drain, then check.
 */
export async function runChaos(options: ChaosOptions, settings: { keepServices?: boolean; log?: (line: string) => void } = {}): Promise<ChaosResult> {
  const began = Date.now();
  const log = (line: string) => settings.log?.(`[chaos ${((Date.now() - began) / 1000).toFixed(1).padStart(5)} s] ${line}`);
  log(`seed ${options.seed}: starting PostgreSQL, Redis, NATS, the provider, ${options.instances} instances and the event workers`);
  const services = await startServices({ instances: options.instances });
  try {
    const setupMs = Date.now() - began;
    const random = new Random(options.seed);
    const started = Date.now();
    const stopAt = started + options.durationSeconds * 1000;
    const run: RunContext = {
      appUrl: services.proxy.url,
      providerUrl: services.provider.url,
      stripe: stripeFor(services.provider.url),
      history: new History(),
      seed: options.seed,
      random,
      stopAt,
      giveUpAt: stopAt + RETRY_GRACE_MS,
      races: new Set(),
      log,
    };
    log(`running for ${options.durationSeconds} s with ${options.clients} clients; faults: ${options.faults.join(", ") || "none"}`);
    const faults = runFaults(services, options.faults, random.fork("faults"), stopAt, log);
    const browsers = [...Array.from({ length: options.clients }, (_, i) => runBrowser(run, i)), runBackOffice(run, random.fork("back-office"))];
    const faultLog = await faults;
    await Promise.all(browsers);
    while (run.races.size) await Promise.all([...run.races]);
    const runMs = Date.now() - started;
    log(`clients done (${run.history.attempts.length} attempts, ${run.history.requests.length} requests); quiescing`);

    const drain = await quiesce(services, options.quiesceSeconds * 1000, log);
    log(drain.drained ? `drained in ${(drain.ms / 1000).toFixed(1)} s` : `not drained after ${(drain.ms / 1000).toFixed(1)} s: ${drain.waiting.join("; ")}`);
    const truth = await readTruth(services.provider.url, services.database.url);
    const incidents = [
      ...faultLog.failures.map((f) => finding("recovery", f.split(":")[0]!, f)),
      ...[...services.instances, ...services.workers].flatMap((p) => p.deaths().map((d) => finding("process-died", p.name, d))),
      ...(drain.drained ? [] : [finding("drain", "quiesce", `still waiting after ${Math.round(drain.ms / 1000)} s: ${drain.waiting.join("; ")}`)]),
    ];
    const logs = services.logs();
    const findings = check({ truth, history: run.history, logs, incidents });
    const summary = summarize({
      options,
      history: run.history,
      truth,
      findings,
      faults: faultLog.counts,
      badGateways: services.proxy.badGateways(),
      drained: drain.drained,
      seconds: { setup: seconds(setupMs), run: seconds(runMs), quiesce: seconds(drain.ms), total: seconds(Date.now() - began) },
    });
    const records = keepRecords(options.seed, { logs, history: run.history, findings, summary });
    log(`logs, histories and findings kept in ${records}`);
    if (settings.keepServices) return { summary, findings, history: run.history, records, services };
    await services.stop();
    return { summary, findings, history: run.history, records };
  } catch (error) {
    await services.stop();
    throw error;
  }
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;
