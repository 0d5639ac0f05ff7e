import { problemResponse, type Schema } from "@oncepay/idempotency/fetch";
import { validationProblem } from "@oncepay/idempotency";
import { problem } from "../problem";

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** What an unknown API path answers: problem+json like every other API error, not an HTML page. */
export function noEndpoint(request: Request): Response {
  return problemResponse(problem("not_found", `No endpoint at ${new URL(request.url).pathname}.`));
}

export function readQuery<T>(request: Request, schema: Schema<T>): T {
  const params = Object.fromEntries(new URL(request.url).searchParams);
  const parsed = schema.safeParse(params);
  if (!parsed.success) throw validationProblem(parsed.error, "The query");
  return parsed.data;
}

/** For the methods a route does not serve: a 405 problem with `Allow`, instead of an empty body. */
export function methodNotAllowed(allowed: string[]): () => Response {
  return () => problemResponse(problem("method_not_allowed", `This endpoint supports ${allowed.join(", ")}.`), { allow: allowed.join(", ") });
}
