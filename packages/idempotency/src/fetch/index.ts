import type { CallResult, IdempotentCall } from "../call.js";
import { idempotencyKeyFromHeader } from "../key-header.js";
import type { CallPipeline } from "../pipeline.js";
import { preferenceApplied, waitPreference } from "../prefer.js";
import type { Problem } from "../problem.js";

export { MAX_BODY_BYTES, readBounded, readJson, readText, tooLarge, type Schema } from "./body.js";

export const IDEMPOTENCY_KEY_HEADER = "Idempotency-Key";
export const REPLAYED_HEADER = "Idempotent-Replayed";
const VISIBLE_ASCII = /^[\x21-\x7e]{1,1024}$/;

/** A problem as `application/problem+json`. */
export function problemResponse(p: Problem, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(p), { status: p.status, headers: { "content-type": "application/problem+json", ...headers } });
}

/** The `Idempotency-Key` header, bare or as an RFC 8941 String; a ProblemError (400) when missing or malformed. */
export function idempotencyKeyFrom(headers: Headers): string {
  return idempotencyKeyFromHeader(headers.get(IDEMPOTENCY_KEY_HEADER));
}

/**
 * A call's result in HTTP: the stored status, headers and body byte for byte, plus
 * `Idempotent-Replayed: true` for a duplicate; a problem nothing was stored for as problem+json.
 * `extra` headers belong to this answer only (`Preference-Applied`), never to what is stored.
 */
export function toResponse(result: CallResult, extra: Record<string, string> = {}): Response {
  if (!("response" in result)) return problemResponse(result.problem, { ...result.headers, ...extra });
  const headers = new Headers({ ...result.response.headers, ...extra });
  // Keys are validated before the claim; this answer comes after the commit, where a key a header
  // cannot carry would throw: then the header is left out.
  if (VISIBLE_ASCII.test(result.key)) headers.set(IDEMPOTENCY_KEY_HEADER, result.key);
  if (result.outcome === "replayed") headers.set(REPLAYED_HEADER, "true");
  return new Response(result.response.body, { status: result.response.status, headers });
}

/** A call as a request makes it: the key comes from `Idempotency-Key`, the wait from `Prefer: wait=N`. */
export type FetchCall<Tx, I, S = void> = Omit<IdempotentCall<Tx, I, S>, "key" | "waitMs" | "via"> & {
  /** Defaults to `"fetch"`. */
  via?: string;
  /** Whether `Prefer: wait=N` is honoured (default true). */
  wait?: boolean;
  /** Wraps the call just before it runs (an app's fault injection at its edge, say). */
  wrap?: (call: IdempotentCall<Tx, I, S>) => IdempotentCall<Tx, I, S>;
};

/**
 * One request through the pipeline: its key from `Idempotency-Key`, a duplicate in flight waiting
 * up to `Prefer: wait=N` seconds (at most 30) for the original's outcome instead of a 409, and the
 * result answered as `toResponse` does, with `Preference-Applied` when it waited.
 */
export async function runRequest<Tx, I, S>(pipeline: CallPipeline<Tx>, request: Request, call: FetchCall<Tx, I, S>): Promise<Response> {
  const wait = call.wait === false ? null : waitPreference(request.headers.get("prefer"));
  const { wrap, wait: _wait, ...rest } = call;
  const full: IdempotentCall<Tx, I, S> = { ...rest, via: call.via ?? "fetch", key: () => idempotencyKeyFrom(request.headers), waitMs: (wait ?? 0) * 1000 };
  const result = await pipeline.run<I, S>(wrap ? wrap(full) : full);
  return toResponse(result, preferenceApplied(wait, result));
}

/**
 * A Fetch-API handler (`(Request) => Promise<Response>`: a Next.js route handler, Hono, Bun, Deno,
 * or `node:http` through an adapter) that runs each request as one idempotent call. Failures
 * before the call is taken apart (`describe` throwing) are answered as problems too.
 */
export function idempotentHandler<Tx, I, S = void>(
  pipeline: CallPipeline<Tx>,
  describe: (request: Request) => FetchCall<Tx, I, S> | Promise<FetchCall<Tx, I, S>>,
): (request: Request) => Promise<Response> {
  return async (request) => {
    try {
      return await runRequest(pipeline, request, await describe(request));
    } catch (error) {
      const mapped = pipeline.mapError(error);
      return problemResponse(mapped.problem, mapped.headers);
    }
  };
}
