import { problemResponse } from "@/server/rest/respond";
import { problem } from "@/server/problem";

export const dynamic = "force-dynamic";

/** Unknown API paths answer in problem+json like every other API error, not with an HTML page. */
function notFound(request: Request): Response {
  return problemResponse(problem("not_found", `No endpoint at ${new URL(request.url).pathname}.`));
}

export const GET = notFound;
export const POST = notFound;
export const PUT = notFound;
export const PATCH = notFound;
export const DELETE = notFound;
