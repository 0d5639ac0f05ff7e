import type { z } from "zod";

export type StripeErrorType = "api_error" | "authentication_error" | "card_error" | "idempotency_error" | "invalid_request_error";

/** The `error` member of Stripe's error answers; stripe-node builds its error classes from it (and the status). */
export interface StripeErrorBody {
  type: StripeErrorType;
  message: string;
  code?: string;
  param?: string;
  decline_code?: string;
  payment_intent?: unknown;
}

/** An answer ready to be written (and, for idempotent requests, saved byte for byte). */
export interface Answer {
  status: number;
  body: unknown;
}

/** Thrown to answer with a Stripe error; where it is thrown decides whether the answer is saved under a key. */
export class ProviderError extends Error {
  constructor(
    readonly status: number,
    readonly error: StripeErrorBody,
  ) {
    super(error.message);
  }

  answer(): Answer {
    return { status: this.status, body: { error: this.error } };
  }
}

export function invalidRequest(message: string, param?: string, code?: string): ProviderError {
  return new ProviderError(400, { type: "invalid_request_error", message, ...(code && { code }), ...(param && { param }) });
}

export function resourceMissing(kind: string, id: string, param?: string, status = 404): ProviderError {
  return new ProviderError(status, { type: "invalid_request_error", code: "resource_missing", message: `No such ${kind}: '${id}'`, ...(param && { param }) });
}

/** Stripe names nested params the way forms spell them: `metadata[order]`. */
export function paramName(path: readonly PropertyKey[]): string {
  const [head, ...rest] = path.map(String);
  return (head ?? "") + rest.map((p) => `[${p}]`).join("");
}

/** The first zod issue as Stripe would report it: a missing param, an unknown one, or an invalid one. */
export function fromZodError(error: z.ZodError, params: Record<string, unknown>): ProviderError {
  const issue = error.issues[0];
  if (!issue) return invalidRequest("Invalid request.");
  if (issue.code === "unrecognized_keys") {
    const key = paramName([...issue.path, issue.keys[0] ?? ""]);
    return invalidRequest(`Received unknown parameter: ${key}`, key, "parameter_unknown");
  }
  const param = paramName(issue.path);
  let value: unknown = params;
  for (const segment of issue.path) value = value !== null && typeof value === "object" ? (value as Record<PropertyKey, unknown>)[segment] : undefined;
  if (value === undefined) return invalidRequest(`Missing required param: ${param}.`, param, "parameter_missing");
  return invalidRequest(`Invalid ${param}: ${issue.message}`, param, "parameter_invalid");
}
