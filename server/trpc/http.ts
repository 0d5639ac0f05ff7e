import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { REPLAYED_HEADER } from "../idempotency/adapters/http";
import { createContext } from "./init";
import { appRouter } from "./routers/_app";

export const TRPC_ENDPOINT = "/api/trpc";

/** The tRPC endpoint over fetch; sets Idempotent-Replayed when any call of the batch was a replay. */
export function handleTrpc(req: Request): Promise<Response> {
  return fetchRequestHandler({
    endpoint: TRPC_ENDPOINT,
    req,
    router: appRouter,
    createContext: () => createContext({ headers: req.headers }),
    responseMeta: ({ ctx }) => (ctx && ctx.replays.count > 0 ? { headers: new Headers({ [REPLAYED_HEADER]: "true" }) } : {}),
  });
}
