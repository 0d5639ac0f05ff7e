/**
 * `npm run chaos [-- --duration 60 --instances 2 --clients 8 --seed 7 --faults kill-app,restart-postgres --quiesce 60]`:
 * a Jepsen-style run on services of its own (see docs/chaos.md). Prints the summary table, each
 * finding, and a last line of JSON; exits 1 when the checker found anything.
 */
import { ensureTestBuild } from "@/fixtures/server-process";
import { optionsFromCommandLine } from "./options";
import { runChaos } from "./run";
import { stopAllServices } from "./services";
import { findingLines, summaryTable } from "./summary";

async function main(): Promise<number> {
  const options = optionsFromCommandLine(process.argv.slice(2), process.env);
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void stopAllServices().finally(() => process.exit(130)));
  ensureTestBuild();
  const { summary, findings } = await runChaos(options, { log: (line) => console.error(line) });
  console.log(`\n${summaryTable(summary)}\n`);
  if (findings.length) console.log(`${findings.length} findings:\n${findingLines(findings).join("\n")}\n`);
  else console.log("no findings\n");
  console.log(JSON.stringify({ chaos: summary, examples: findings.slice(0, 20) }));
  return findings.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(2);
  },
);
