/**
 * `Prefer: wait=N` (RFC 7240 §4.3), as the contract's "Waiting instead of 409" reads it: a duplicate
 * of a key in flight waits up to N seconds for the original's outcome instead of a 409 at once.
 */
export const PREFER_HEADER = "Prefer";
export const PREFERENCE_APPLIED_HEADER = "Preference-Applied";
export const MAX_WAIT_SECONDS = 30;

/**
 * The seconds a request asks to wait, capped at 30; null when it does not ask. As RFC 7240 has it,
 * a preference that cannot be understood (a malformed value, other preferences) is ignored, never
 * an error: the request is served as if it had not been sent.
 */
export function waitPreference(header: string | null): number | null {
  if (!header) return null;
  // Several Prefer lines arrive joined with ", "; each preference may carry parameters after ";".
  for (const preference of header.split(",")) {
    const [token = "", ...rest] = preference.split(";")[0]!.split("=");
    if (token.trim().toLowerCase() !== "wait" || rest.length !== 1) continue;
    const value = rest[0]!.trim().replace(/^"(.*)"$/, "$1");
    if (!/^\d{1,9}$/.test(value)) continue;
    const seconds = Math.min(Number(value), MAX_WAIT_SECONDS);
    return seconds > 0 ? seconds : null;
  }
  return null;
}

/** `Preference-Applied` for a call that asked to wait and did (or found the original still running after it). */
export function preferenceApplied(seconds: number | null, result: { outcome: string; waited?: boolean }): Record<string, string> {
  if (seconds === null || !(result.waited || result.outcome === "conflict")) return {};
  return { [PREFERENCE_APPLIED_HEADER.toLowerCase()]: `wait=${seconds}` };
}
