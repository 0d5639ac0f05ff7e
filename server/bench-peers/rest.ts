import { env } from "../env";
import { idempotencyKeyFrom, problemResponse, readJson, REPLAYED_HEADER } from "@oncepay/idempotency/fetch";
import { PaymentStatus, createPaymentInput } from "../payments/schema";
import { problem } from "../problem";
import { route } from "../rest/handler";
import { merchantOf } from "../rest/merchant";
import { json, methodNotAllowed, noEndpoint } from "../rest/respond";
import { naivePayment, unprotectedPayment, type PeerOutcome } from "./flows";

type Segment = { params: Promise<unknown> };

/** Without ONCEPAY_BENCH_PEERS the peers answer exactly as a path with no route does. */
const benchOnly =
  (handler: (request: Request, segment: Segment) => Response | Promise<Response>) =>
  async (request: Request, segment: Segment): Promise<Response> =>
    env.ONCEPAY_BENCH_PEERS ? handler(request, segment) : noEndpoint(request);

/** As POST /api/v1/payments answers: 201 with the payment, 402 when declined. */
function answer({ payment, replayed }: PeerOutcome): Response {
  const headers: Record<string, string> = replayed ? { [REPLAYED_HEADER.toLowerCase()]: "true" } : {};
  if (payment.status === PaymentStatus.Failed) return problemResponse(problem("card_declined", "The card was declined.", { payment: payment.id }), headers);
  return json(payment, 201, { location: `/api/v1/payments/${payment.id}`, ...headers });
}

/** POST /api/bench/unprotected/payments: the same authentication and body as POST /api/v1/payments, no key. */
export const unprotectedRoute = benchOnly(
  route(async ({ request, app }) => {
    const merchant = await merchantOf(app, request, { publishable: true });
    return answer(await unprotectedPayment(app, merchant.id, await readJson(request, createPaymentInput)));
  }),
);

/** POST /api/bench/naive/payments: the same request as POST /api/v1/payments, Idempotency-Key included. */
export const naiveRoute = benchOnly(
  route(async ({ request, app }) => {
    const merchant = await merchantOf(app, request, { publishable: true });
    const key = idempotencyKeyFrom(request.headers);
    return answer(await naivePayment(app, merchant.id, key, await readJson(request, createPaymentInput)));
  }),
);

/** Every other method: 405 with the flag, like any POST-only route; without it, no route at all. */
export const otherMethods = benchOnly(methodNotAllowed(["POST"]));
