import { problem, ProblemError, validationProblem } from "../problem.js";

/** Far above any ordinary JSON request; refuses memory-filling uploads. */
export const MAX_BODY_BYTES = 64 * 1024;

/** A schema as this module needs it: zod's fits (`safeParse`). */
export interface Schema<T> {
  safeParse(value: unknown): { success: true; data: T } | { success: false; error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] } };
}

export function tooLarge(limit = MAX_BODY_BYTES): ProblemError {
  return new ProblemError(problem("payload_too_large", `The request body exceeds ${limit} bytes.`));
}

/**
 * The body's bytes, at most `limit` of them. A declared length over the limit is refused unread; an
 * undeclared one (chunked) is counted as it streams in and cut off at the limit (a 413
 * ProblemError), so no body is ever buffered whole.
 */
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
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/** The raw body as text, bounded (a signature covers these exact bytes). */
export async function readText(request: Request, limit = MAX_BODY_BYTES): Promise<string> {
  return new TextDecoder().decode(await readBounded(request, limit));
}

/** The body as JSON, validated by `schema`; a 400 ProblemError when it is not JSON or not valid. */
export async function readJson<T>(request: Request, schema: Schema<T>, limit = MAX_BODY_BYTES): Promise<T> {
  const text = await readText(request, limit);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    const detail = text.trim() === "" ? "The request body is empty; a JSON object is required." : "The request body is not valid JSON.";
    throw new ProblemError(problem("invalid_json", detail));
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw validationProblem(parsed.error, "The request body");
  return parsed.data;
}
