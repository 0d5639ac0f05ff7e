import { parseArgs } from "node:util";
import { z } from "zod";

export const FAULT_KINDS = ["kill-app", "kill-relay", "kill-consumer", "restart-redis", "restart-postgres", "restart-nats"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

const optionsSchema = z.object({
  /** How long clients start checkouts and faults are applied; quiescing comes after. */
  durationSeconds: z.coerce.number().min(2).max(3_600).default(60),
  instances: z.coerce.number().int().min(1).max(8).default(2),
  /** Simulated browsers, each running one checkout attempt at a time. */
  clients: z.coerce.number().int().min(1).max(200).default(8),
  /** Every random choice of the clients and the fault schedule comes from it (timing still varies). */
  seed: z.coerce
    .number()
    .int()
    .min(0)
    .default(() => Date.now() % 1_000_000),
  /** Which faults the schedule applies (comma-separated), or "none". */
  faults: z
    .string()
    .default(FAULT_KINDS.join(","))
    .transform((v, ctx) => {
      const kinds = v === "none" ? [] : v.split(",").map((s) => s.trim());
      const unknown = kinds.filter((k) => !(FAULT_KINDS as readonly string[]).includes(k));
      if (unknown.length) ctx.addIssue({ code: "custom", message: `unknown faults ${unknown.join(", ")}; known: ${FAULT_KINDS.join(", ")}` });
      return kinds as FaultKind[];
    }),
  /** The longest wait for everything to drain after the faults stop. */
  quiesceSeconds: z.coerce.number().min(5).max(600).default(60),
});

export type ChaosOptions = z.infer<typeof optionsSchema>;
export type ChaosOptionsInput = z.input<typeof optionsSchema>;

export function chaosOptions(input: ChaosOptionsInput = {}): ChaosOptions {
  return optionsSchema.parse(input);
}

/** `--duration 60 --instances 2 --clients 8 --seed 7 --faults kill-app,restart-postgres`, each also `CHAOS_<NAME>` in the environment; arguments win. */
export function optionsFromCommandLine(argv: string[], env: Record<string, string | undefined>): ChaosOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: "string" },
      instances: { type: "string" },
      clients: { type: "string" },
      seed: { type: "string" },
      faults: { type: "string" },
      quiesce: { type: "string" },
    },
    strict: true,
  });
  const pick = (arg: string | undefined, name: string) => arg ?? (env[`CHAOS_${name}`] || undefined);
  const parsed = optionsSchema.safeParse({
    durationSeconds: pick(values.duration, "DURATION"),
    instances: pick(values.instances, "INSTANCES"),
    clients: pick(values.clients, "CLIENTS"),
    seed: pick(values.seed, "SEED"),
    faults: pick(values.faults, "FAULTS"),
    quiesceSeconds: pick(values.quiesce, "QUIESCE"),
  });
  if (!parsed.success) throw new Error(`Invalid chaos options:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
