import pino from "pino";
import { z } from "zod";
import { startSimulator } from "./server";
import { webhookConfigFromEnv } from "./webhooks/config";

const env = z
  .object({
    PROVIDER_PORT: z.coerce.number().int().min(0).max(65535).default(12111),
    PROVIDER_HOST: z.string().min(1).default("127.0.0.1"),
    PROVIDER_DATA_DIR: z.string().min(1).default(".data/provider"),
    PROVIDER_FAULT: z.string().optional(),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  })
  .parse(process.env);

const webhooks = webhookConfigFromEnv(process.env);

const log = pino({ level: env.LOG_LEVEL, base: { service: "simulator" } });

// CommonJS under tsx (the package has no "type": "module"), so no top-level await.
async function main(): Promise<void> {
  const simulator = await startSimulator({
    port: env.PROVIDER_PORT,
    host: env.PROVIDER_HOST,
    dataDir: env.PROVIDER_DATA_DIR,
    defaultFault: env.PROVIDER_FAULT,
    logger: log,
    webhooks,
  });
  const delivery = webhooks ? { webhookUrl: webhooks.url, chaos: webhooks.chaos } : { webhooks: "off" };
  log.info({ dataDir: env.PROVIDER_DATA_DIR, fault: env.PROVIDER_FAULT, ...delivery }, `provider simulator listening on ${simulator.url}`);

  let stopping = false;
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      simulator.close().then(
        () => process.exit(0),
        (error: unknown) => {
          log.error({ err: error }, "provider simulator did not close cleanly");
          process.exit(1);
        },
      );
    });
  }
}

main().catch((error: unknown) => {
  log.fatal({ err: error }, "provider simulator failed to start");
  process.exit(1);
});
