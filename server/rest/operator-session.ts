import { z } from "zod";
import { operators } from "../app/operators";
import { crossSiteProblem, jsonOnlyProblem } from "../http/same-origin";
import { logger } from "../observability/logger";
import { ProblemError } from "../problem";
import { isHttps, sessionCookie } from "../operators/session";
import { json } from "./respond";
import { problemResponse, readJson } from "@oncepay/idempotency/fetch";

const signInBody = z.object({ token: z.string().min(1).max(1024) });

/** CSRF, as for tRPC: sign-in and sign-out change state, so JSON only (sign-in) and same-origin only. */
function refused(request: Request, needsJson: boolean): Response | null {
  const p = (needsJson ? jsonOnlyProblem(request) : null) ?? crossSiteProblem(request);
  return p ? problemResponse(p) : null;
}

/** POST /api/operator/session `{ "token": "…" }`: a 12 h session cookie for the operator pages. */
export async function signInRoute(request: Request): Promise<Response> {
  const early = refused(request, true);
  if (early) return early;
  try {
    const { token } = await readJson(request, signInBody);
    const result = await operators().signIn(token, request.headers);
    if (!result.ok) return problemResponse(result.problem, result.headers);
    return json({ signedIn: true }, 200, { "set-cookie": sessionCookie(result.seal, isHttps(request)), "cache-control": "no-store" });
  } catch (error) {
    if (error instanceof ProblemError) return problemResponse(error.problem, error.headers);
    logger.error({ err: error }, "operator sign-in failed");
    throw error;
  }
}

/** DELETE /api/operator/session: signs out (the browser drops the cookie). */
export function signOutRoute(request: Request): Response {
  const early = refused(request, false);
  if (early) return early;
  return new Response(null, { status: 204, headers: { "set-cookie": sessionCookie(null, isHttps(request)), "cache-control": "no-store" } });
}
