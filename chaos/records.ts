import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Finding } from "./checker";
import type { History } from "./history";
import type { ProcessLog } from "./services";
import type { Summary } from "./summary";

/**
 * Everything a finding needs to be understood afterwards, in a directory of its own: each process's
 * whole output (every incarnation), the clients' histories, the findings and the summary.
 */
export function keepRecords(seed: number, records: { logs: ProcessLog[]; history: History; findings: Finding[]; summary: Summary }): string {
  const dir = path.join(os.tmpdir(), `oncepay-chaos-${seed}-${new Date().toISOString().replace(/[:.]/g, "-")}`);
  mkdirSync(dir, { recursive: true });
  for (const { name, text } of records.logs) writeFileSync(path.join(dir, `${name}.log`), text);
  const { requests, attempts, providerActions } = records.history;
  writeFileSync(path.join(dir, "history.json"), JSON.stringify({ requests, attempts, providerActions }, null, 1));
  writeFileSync(path.join(dir, "findings.json"), JSON.stringify(records.findings, null, 1));
  writeFileSync(path.join(dir, "summary.json"), JSON.stringify(records.summary, null, 1));
  return dir;
}
