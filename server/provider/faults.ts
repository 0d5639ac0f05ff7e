import { currentFault } from "../faults";

/**
 * The provider side of the demo's fault toggle: what Oncepay's `Simulate-Failure` asks of the
 * provider call running now (set by `withFault` at the edge), as the simulator's own `Simulate-Failure` modes (simulator/faults.ts).
 */
export function simulatedFailure(): string | undefined {
  const fault = currentFault();
  switch (fault?.mode) {
    case "provider-timeout-after-charge":
      return "timeout-after-charge";
    case "provider-fail-before-charge":
      return "fail-before-charge";
    case "provider-latency":
      // The change commits (and its webhook leaves) at once; only the answer is slow.
      return `answer-latency=${fault.ms}`;
    case "provider-delay":
      // Held before anything executes.
      return `latency=${fault.ms}`;
    default:
      return undefined;
  }
}
