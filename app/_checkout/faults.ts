/** The simulated-network-failure toggle of the checkout. */
export const FAULT_MODES = [
  { id: "off", label: "Off", hint: "The network behaves." },
  { id: "lost-response", label: "Lost response", hint: "The server commits, then its answer is lost (502)." },
  { id: "browser-drop", label: "Dropped in the browser", hint: "The server answers 201; the browser throws it away." },
  { id: "fail-before-commit", label: "Fail before commit", hint: "The server fails before committing (503)." },
  { id: "slow", label: "Slow server", hint: "The payment holds for 3 s after the key is claimed." },
  {
    id: "provider-timeout-after-charge",
    label: "Provider times out after charging",
    hint: "The provider charges, its answer is lost (504); the retry resumes and is not charged again.",
  },
  { id: "provider-fail-before-charge", label: "Provider fails before charging", hint: "The provider fails before charging (502); the retry charges once." },
  { id: "flaky", label: "Flaky", hint: "A seeded random mix of all of the above, on every try." },
] as const;

export type FaultMode = (typeof FAULT_MODES)[number]["id"];

export interface FaultSettings {
  mode: FaultMode;
  seed: number;
}

/** What one try carries: a Simulate-Failure header for the server, or a drop in the browser. */
export interface TryFault {
  simulateFailure?: string;
  dropResponse?: boolean;
}

export const SLOW_DELAY_MS = 3000;

/**
 * The fault for try `tryNumber` (1-based) of checkout `serial`. Fixed modes hit the first try
 * only, so the retries can show recovery; flaky draws for every try from the seed,
 * so a run can be replayed exactly.
 */
export function faultFor(settings: FaultSettings, serial: number, tryNumber: number): TryFault {
  switch (settings.mode) {
    case "off":
      return {};
    case "lost-response":
    case "fail-before-commit":
    case "provider-timeout-after-charge":
    case "provider-fail-before-charge":
      return tryNumber === 1 ? { simulateFailure: settings.mode } : {};
    case "browser-drop":
      return tryNumber === 1 ? { dropResponse: true } : {};
    case "slow":
      return tryNumber === 1 ? { simulateFailure: `delay=${SLOW_DELAY_MS}` } : {};
    case "flaky": {
      const roll = random(settings.seed, serial, tryNumber);
      if (roll < 0.5) return {};
      if (roll < 0.6) return { simulateFailure: "lost-response" };
      if (roll < 0.7) return { simulateFailure: "fail-before-commit" };
      if (roll < 0.78) return { simulateFailure: "provider-timeout-after-charge" };
      if (roll < 0.86) return { simulateFailure: "provider-fail-before-charge" };
      if (roll < 0.93) return { dropResponse: true };
      return { simulateFailure: "delay=800" };
    }
  }
}

/** mulberry32 over a hash of (seed, serial, try): deterministic, uniform in [0, 1). */
export function random(seed: number, serial: number, tryNumber: number): number {
  let t = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(serial + 1, 0xc2b2ae35) ^ Math.imul(tryNumber + 1, 0x27d4eb2f)) >>> 0;
  t = (t + 0x6d2b79f5) >>> 0;
  let r = Math.imul(t ^ (t >>> 15), 1 | t);
  r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
  return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
}

export const DEFAULT_FAULTS: FaultSettings = { mode: "off", seed: 42 };
