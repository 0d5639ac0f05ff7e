import type { ProcessLog } from "../services";
import { finding, type Finding } from "./finding";

/** How Next's production server and Node print what escaped every handler. */
const ESCAPED = /uncaughtException|unhandledRejection|Unhandled Rejection/;

/** A pino line at error (50) or fatal (60). */
function pinoError(line: string): boolean {
  if (!line.startsWith("{")) return false;
  try {
    const level = (JSON.parse(line) as { level?: unknown }).level;
    return typeof level === "number" && level >= 50;
  } catch {
    return false;
  }
}

/** Every line in which a process reported an escaped error or logged at error level or above. */
export function logFindings(logs: ProcessLog[]): Finding[] {
  return logs.flatMap(({ name, text }) =>
    text
      .split("\n")
      .filter((line) => ESCAPED.test(line) || pinoError(line))
      .map((line) => finding("log-error", name, line.length > 400 ? `${line.slice(0, 400)}…` : line)),
  );
}
