/** `npm run events:replay -- --from <sequence>`: delivers every event from that sequence on again; consumers shrug. */
import { option, runOperator } from "./operator";

const from = Number(option("from") ?? "0");
if (!Number.isInteger(from) || from < 0) {
  console.error("usage: npm run events:replay -- --from <sequence> (a whole number ≥ 0)");
  process.exit(2);
}

void runOperator(
  "events:replay",
  (app) => app.events.replay(from),
  (client) => client.events.replay.mutate({ from }),
);
