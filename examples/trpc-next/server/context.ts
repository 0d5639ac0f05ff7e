import type { FetchCreateContextFnOptions } from "@trpc/server/adapters/fetch";
import { database } from "./db";

export async function createContext({ req, resHeaders }: FetchCreateContextFnOptions) {
  const { db, pipeline } = await database();
  return { db, pipeline, headers: req.headers, resHeaders };
}

export type Context = Awaited<ReturnType<typeof createContext>>;
