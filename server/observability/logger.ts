import pino from "pino";
import { env } from "../env";

/** JSON logs. API keys never reach a log line: the redaction covers the places they could travel. */
export const logger = pino({
  level: env.LOG_LEVEL,
  base: { service: "oncepay" },
  redact: { paths: ["authorization", "headers.authorization", "apiKey", "*.apiKey"], censor: "[redacted]" },
});
