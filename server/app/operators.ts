import { RateLimiterMemory } from "rate-limiter-flexible";
import { env, type Env } from "../env";
import { FailedAuthentications } from "../auth/failures";
import { MAX_FAILURES_PER_MINUTE, OperatorGate } from "../operators/gate";

/** The operator gate of a configuration, with its counter of wrong tokens. */
export function createOperators(config: Env): OperatorGate {
  // Per process: the gate answers without the database (and so without its limiter store), so a
  // guesser behind a balancer gets 10 tries a minute per instance, still far from a 256-bit token.
  const failures = new FailedAuthentications(new RateLimiterMemory({ keyPrefix: "oncepay:operator-auth", points: MAX_FAILURES_PER_MINUTE, duration: 60 }));
  return new OperatorGate({ token: config.ONCEPAY_OPERATOR_TOKEN, demo: config.ONCEPAY_DEMO, trustedProxies: config.TRUSTED_PROXIES, failures });
}

const holder = globalThis as typeof globalThis & { __oncepayOperators?: OperatorGate };

/**
 * The process's one gate. Apart from the App because it needs no database: pages, `/api/metrics`
 * and the App's procedures share it (and so one count of wrong tries) even while the database is down.
 */
export function operators(): OperatorGate {
  holder.__oncepayOperators ??= createOperators(env);
  return holder.__oncepayOperators;
}
