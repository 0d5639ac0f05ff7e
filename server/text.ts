import { z } from "zod";

export const CONTROL_MESSAGE = "must not contain control characters";

/**
 * Whether `value` holds a C0 control (NUL to US, tab and newlines included) or DEL. Our free-text
 * fields are single-line labels; PostgreSQL refuses NUL in text and jsonb outright, and the rest
 * only confuse logs, headers and terminals.
 */
export function hasControl(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/** A single-line string: no C0 control character (NUL included) and no DEL. */
export function text() {
  return z.string().refine((value) => !hasControl(value), CONTROL_MESSAGE);
}
