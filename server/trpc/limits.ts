import { mapError } from "../map-error";
import { problem } from "../problem";
import { MAX_BODY_BYTES, problemResponse, readBounded } from "@oncepay/idempotency/fetch";

/** Calls in one `?batch=1` request: each is a full call (a claim, a provider round trip), so a batch is bounded like a body. */
export const MAX_BATCH_CALLS = 20;

/** The number of calls a request carries: the comma-separated procedure paths of a batch, else one. */
export function callCount(url: URL, endpoint: string): number {
  if (url.searchParams.get("batch") !== "1") return 1;
  let paths = url.pathname.slice(endpoint.length).replace(/^\/+/, "");
  try {
    paths = decodeURIComponent(paths);
  } catch {
    // Not decodable: tRPC refuses it as a path; the count of the raw form is as good as any.
  }
  return paths.split(",").length;
}

/** A 400 problem for a batch of more than MAX_BATCH_CALLS calls, answered before any of them runs; null otherwise. */
export function refuseLargeBatch(req: Request, endpoint: string): Response | null {
  const calls = callCount(new URL(req.url), endpoint);
  if (calls <= MAX_BATCH_CALLS) return null;
  return problemResponse(problem("batch_too_large", `The batch holds ${calls} calls; at most ${MAX_BATCH_CALLS} are allowed in one request.`));
}

/**
 * tRPC reads the body itself, whole: the request it gets carries a body already read here within
 * MAX_BODY_BYTES (declared or streamed), so a chunked upload is cut off at the limit, never
 * buffered whole. Answers the 413 (or the client's abort) as a Response instead.
 */
export async function boundedRequest(req: Request): Promise<Request | Response> {
  if (!req.body) return req;
  let body: Uint8Array<ArrayBuffer>;
  try {
    body = await readBounded(req, MAX_BODY_BYTES);
  } catch (error) {
    const mapped = mapError(error);
    return problemResponse(mapped.problem, mapped.headers);
  }
  return new Request(req.url, { method: req.method, headers: req.headers, body, signal: req.signal });
}
