import { IDEMPOTENCY_PROBLEMS, type Problem, ProblemError, problemType } from "@oncepay/idempotency";

/**
 * RFC 9457 problem details, the package's shape and error (`ProblemError`): the one error shape of
 * the REST API, carried inside tRPC errors too. These are the app's codes, the package's among them.
 */
export { ProblemError, type Problem };

export const PROBLEMS = {
  // The package's own (keys, bodies, conflicts, the store), as it answers them.
  ...IDEMPOTENCY_PROBLEMS,
  unauthorized: { status: 401, title: "Unauthorized" },
  forbidden: { status: 403, title: "Forbidden" },
  operator_unauthorized: { status: 401, title: "Operator access required" },
  cross_site_request: { status: 403, title: "Cross-site request refused" },
  unsupported_media_type: { status: 415, title: "Unsupported media type" },
  secret_key_required: { status: 403, title: "Secret key required" },
  too_many_failed_authentications: { status: 429, title: "Too many failed authentications" },
  invalid_fault: { status: 400, title: "Invalid Simulate-Failure header" },
  invalid_signature: { status: 400, title: "Invalid webhook signature" },
  refund_exceeds_payment: { status: 400, title: "Refund exceeds the payment" },
  payment_not_refundable: { status: 400, title: "Payment not refundable" },
  not_found: { status: 404, title: "Not found" },
  method_not_allowed: { status: 405, title: "Method not allowed" },
  batch_too_large: { status: 400, title: "Too many calls in one batch" },
  // nginx's status for it: nobody reads this answer, but logs and the request history do.
  client_closed_request: { status: 499, title: "Client closed the request" },
  card_declined: { status: 402, title: "Card declined" },
  provider_no_charge: { status: 402, title: "Payment abandoned without a charge" },
  provider_no_refund: { status: 400, title: "Refund abandoned without a refund" },
  rate_limited: { status: 429, title: "Too many requests" },
  simulated_lost_response: { status: 502, title: "Response lost (simulated)" },
  simulated_failure: { status: 503, title: "Failure before commit (simulated)" },
  database_unavailable: { status: 503, title: "Database unavailable" },
  provider_unavailable: { status: 502, title: "Payment provider unavailable" },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemCode = keyof typeof PROBLEMS;

export function problem(code: ProblemCode, detail: string, extensions: Record<string, unknown> = {}): Problem {
  const { status, title } = PROBLEMS[code];
  return { type: problemType(code), title, status, detail, code, ...extensions };
}

/** A client or server error that already knows its problem; thrown by parsers, caught by adapters. */
export function problemError(code: ProblemCode, detail: string, extensions?: Record<string, unknown>): ProblemError {
  return new ProblemError(problem(code, detail, extensions));
}
