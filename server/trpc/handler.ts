import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { app } from "../app";
import { mapError } from "../map-error";
import { problemResponse, REPLAYED_HEADER } from "@oncepay/idempotency/fetch";
import { PREFERENCE_APPLIED_HEADER } from "@oncepay/idempotency";
import { logger } from "../observability/logger";
import { crossSiteProblem, jsonOnlyProblem } from "../http/same-origin";
import { ProblemError } from "../problem";
import { createContext } from "./context";
import { boundedRequest, MAX_BATCH_CALLS, refuseLargeBatch } from "./limits";
import { appRouter } from "./routers/_app";
import { benchAppRouter } from "../bench-peers/trpc";

export const TRPC_ENDPOINT = "/api/trpc";

/** The tRPC endpoint over fetch; sets Idempotent-Replayed when any call of the batch was a replay. */
export async function handleTrpc(incoming: Request): Promise<Response> {
  // CSRF, before anything reads the body: a POST (tRPC's mutations, and batches) only as JSON (no
  // HTML form can send that), and only from this site's own pages or from programs.
  if (incoming.method === "POST") {
    const refused = jsonOnlyProblem(incoming) ?? crossSiteProblem(incoming);
    if (refused) return problemResponse(refused);
  }
  const tooMany = refuseLargeBatch(incoming, TRPC_ENDPOINT);
  if (tooMany) return tooMany;
  const req = await boundedRequest(incoming);
  if (req instanceof Response) return req;
  let current;
  try {
    current = await app();
  } catch (error) {
    // No app without its database: answered like any REST outage, before tRPC is involved.
    const mapped = mapError(error);
    if (mapped.unexpected) logger.error({ err: error }, "app failed to start");
    return problemResponse(mapped.problem, mapped.headers);
  }
  return fetchRequestHandler({
    endpoint: TRPC_ENDPOINT,
    req,
    // The bench peers exist only with the flag: otherwise bench.* is as unknown as any other path.
    router: current.config.ONCEPAY_BENCH_PEERS ? benchAppRouter : appRouter,
    // Our own check above answers first, as a problem; this keeps tRPC's bound should the two ever part.
    maxBatchSize: MAX_BATCH_CALLS,
    createContext: () => createContext({ headers: req.headers, app: current }),
    responseMeta: ({ ctx, errors }) => {
      const headers = new Headers();
      // A problem that says when to retry (a 429, a 503) says it in Retry-After too, as over REST.
      const retryAfter = errors
        .map((e) => (e.cause instanceof ProblemError ? e.cause.problem.retryAfterSeconds : undefined))
        .find((s) => typeof s === "number");
      if (retryAfter !== undefined) headers.set("retry-after", String(retryAfter));
      if (ctx && ctx.replays.count > 0) headers.set(REPLAYED_HEADER, "true");
      if (ctx?.preferenceApplied.value) headers.set(PREFERENCE_APPLIED_HEADER, ctx.preferenceApplied.value);
      for (const [name, value] of Object.entries(ctx?.limitHeaders ?? {})) headers.set(name, value);
      return { headers };
    },
  });
}
