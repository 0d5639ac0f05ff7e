/** One thing the checker found wrong: which check, about what (a payment, a key, a process), and how. */
export interface Finding {
  check: string;
  subject: string;
  detail: string;
}

export function finding(check: string, subject: string, detail: string): Finding {
  return { check, subject, detail };
}
