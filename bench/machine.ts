import os from "node:os";

/** The machine a benchmark ran on, for its JSON line: ratios travel, absolute rates only with this. */
export function machine() {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? "unknown",
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    loadAverage: os.loadavg().map((l) => +l.toFixed(2)),
  };
}
