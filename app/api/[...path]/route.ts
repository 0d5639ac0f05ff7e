import { noEndpoint } from "@/server/rest/respond";

export const dynamic = "force-dynamic";

/** Unknown API paths answer in problem+json like every other API error, not with an HTML page. */
export const GET = noEndpoint;
export const POST = noEndpoint;
export const PUT = noEndpoint;
export const PATCH = noEndpoint;
export const DELETE = noEndpoint;
