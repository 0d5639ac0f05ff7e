import { z } from "zod";
import { text } from "../text";

/** The body of POST /api/v1/refunds. Unknown fields are refused. */
export const createRefundInput = z.strictObject({
  payment: text().min(1).max(64),
  /** Minor units; absent means what remains refundable. */
  amount: z.number({ error: "must be an integer number of minor units" }).int("must be an integer number of minor units").min(1).max(99_999_999).optional(),
});
export type CreateRefundInput = z.infer<typeof createRefundInput>;

export const RefundStatus = { Pending: "pending", Succeeded: "succeeded", Failed: "failed" } as const;

/** Who started a refund: our API, or the provider (learnt from charge.refunded). */
export const RefundOrigin = { Api: "api", Provider: "provider" } as const;

export const refundSchema = z.object({
  id: z.string(),
  object: z.literal("refund"),
  payment: z.string(),
  amount: z.number().int(),
  status: z.literal(RefundStatus.Succeeded),
  createdAt: z.string(),
});
export type Refund = z.infer<typeof refundSchema>;
