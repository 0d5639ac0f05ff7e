import type { z } from "zod";
import { problem, ProblemError, type Problem } from "../problem";

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

export function problemResponse(p: Problem, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(p), {
    status: p.status,
    headers: { "content-type": "application/problem+json", ...headers },
  });
}

/** What an unknown API path answers: problem+json like every other API error, not an HTML page. */
export function noEndpoint(request: Request): Response {
  return problemResponse(problem("not_found", `No endpoint at ${new URL(request.url).pathname}.`));
}

/** Field errors in a stable shape: `[{ path: "amount", message: "…" }]`. */
export function fieldErrors(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join(".") || "(body)",
    message: issue.message,
  }));
}

export function validationProblem(error: z.ZodError, what = "The request"): ProblemError {
  const errors = fieldErrors(error);
  const summary = errors.map((e) => `${e.path}: ${e.message}`).join("; ");
  return ProblemError.of("validation_failed", `${what} is invalid: ${summary}`, { errors });
}

/** Far above any valid payment body (description <= 500 chars); refuses memory-filling uploads. */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * The raw request body, bounded: a webhook's signature covers these exact bytes. A declared length
 * over the limit is refused unread; an undeclared one (chunked) is counted as it streams in and cut
 * off at the limit, so no body is ever buffered whole.
 */
export async function readText(request: Request): Promise<string> {
  return new TextDecoder().decode(await readBounded(request, MAX_BODY_BYTES));
}

/** The body's bytes, at most `limit` of them; past it the stream is cancelled and a 413 ProblemError thrown. */
export async function readBounded(request: Request, limit = MAX_BODY_BYTES): Promise<Uint8Array<ArrayBuffer>> {
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (declared > limit) throw tooLarge(limit);
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      // Not awaited: a client still sending must not hold the answer up.
      reader.cancel().catch(() => undefined);
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, size);
}

/** The request body as JSON, validated; ProblemError (400) when it is not JSON or not valid. */
export async function readJson<S extends z.ZodType>(request: Request, schema: S): Promise<z.output<S>> {
  const text = await readText(request);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw ProblemError.of("invalid_json", text.trim() === "" ? "The request body is empty; a JSON object is required." : "The request body is not valid JSON.");
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw validationProblem(parsed.error, "The request body");
  return parsed.data;
}

export function tooLarge(limit = MAX_BODY_BYTES): ProblemError {
  return ProblemError.of("payload_too_large", `The request body exceeds ${limit} bytes.`);
}

export function readQuery<S extends z.ZodType>(request: Request, schema: S): z.output<S> {
  const params = Object.fromEntries(new URL(request.url).searchParams);
  const parsed = schema.safeParse(params);
  if (!parsed.success) throw validationProblem(parsed.error, "The query");
  return parsed.data;
}

/** For the methods a route does not serve: a 405 problem with `Allow`, instead of an empty body. */
export function methodNotAllowed(allowed: string[]): () => Response {
  return () => problemResponse(problem("method_not_allowed", `This endpoint supports ${allowed.join(", ")}.`), { allow: allowed.join(", ") });
}
