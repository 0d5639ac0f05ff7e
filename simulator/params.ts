import { z } from "zod";
import { fromZodError } from "./errors";

/** Form bodies carry every value as a string: integers are parsed here, as Stripe does. */
export const intString = (min: number, max: number) =>
  z.string().regex(/^\d+$/, "must be an integer").transform(Number).pipe(z.number().int().min(min).max(max));

export const MAX_AMOUNT = 99_999_999;

// Stripe's limits: 50 keys, keys up to 40 characters, values up to 500.
export const metadataSchema = z.record(z.string().min(1).max(40), z.string().max(500)).refine((m) => Object.keys(m).length <= 50, "at most 50 keys");

export const listSchema = z.strictObject({
  limit: intString(1, 100).optional(),
  starting_after: z.string().min(1).optional(),
});

/** Validates params; failures are 400s that happen before execution (and so are never saved). */
export function parseParams<S extends z.ZodType>(schema: S, params: Record<string, unknown>): z.output<S> {
  const result = schema.safeParse(params);
  if (!result.success) throw fromZodError(result.error, params);
  return result.data;
}

export interface ListPage<T> {
  object: "list";
  data: T[];
  has_more: boolean;
  url: string;
}
