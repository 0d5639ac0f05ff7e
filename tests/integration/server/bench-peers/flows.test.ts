import { describe, expect, inject, it } from "vitest";
import { newKey, PUBLISHABLE_KEYS } from "@/fixtures";
import { providerLedger } from "@/fixtures/simulator-process";
import { apiClient, expectProblemShape, type HttpResult } from "@/tests/support/api";
import { useOwnStack } from "@/tests/support/own-stack";

const BODY = { amount: 1_234, currency: "usd" };
const PEERS = ["/api/bench/unprotected/payments", "/api/bench/naive/payments"];
const PROCEDURES = ["bench.unprotected.create", "bench.naive.create"];

type Api = ReturnType<typeof apiClient>;
const post = (api: Api, path: string, body: unknown, headers: Record<string, string> = {}) =>
  api.request(path, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
const trpc = (api: Api, procedure: string, input: unknown) => post(api, `/api/trpc/${procedure}`, input);

/** An answer with the one place it names its own path made neutral, and the headers that always differ dropped. */
function shape(res: HttpResult, path: string) {
  const headers = [...res.headers.keys()].filter((h) => !["date", "content-length"].includes(h)).sort();
  return { status: res.status, headers, contentType: res.headers.get("content-type"), text: res.text.replaceAll(path, "<path>") };
}

// The bench peers (server/bench-peers/) are the benchmark's yardstick, never the product: without
// ONCEPAY_BENCH_PEERS nothing tells them apart from a path that has no route.
describe("the bench peers without ONCEPAY_BENCH_PEERS", () => {
  const api = apiClient(inject("servers").postgres);

  it("answer every method exactly as an unknown path does, and charge nothing", async () => {
    const before = (await api.payments()).length;
    for (const path of PEERS) {
      const twin = path.replace("/payments", "/no-such-thing");
      for (const method of ["POST", "GET", "DELETE"]) {
        const init =
          method === "POST" ? { method, headers: { "content-type": "application/json", "idempotency-key": newKey() }, body: JSON.stringify(BODY) } : { method };
        const [peer, unknown] = [await api.request(path, init), await api.request(twin, init)];
        expectProblemShape(peer, 404, "not_found");
        expect(shape(peer, path)).toEqual(shape(unknown, twin));
      }
    }
    for (const procedure of PROCEDURES) {
      const input = { ...BODY, idempotencyKey: newKey() };
      const [peer, unknown] = [await trpc(api, procedure, input), await trpc(api, "bench.nothing.create", input)];
      expect(peer.status).toBe(404);
      expect(peer.body.error.data.code).toBe("NOT_FOUND");
      expect(shape(peer, procedure)).toEqual(shape(unknown, "bench.nothing.create"));
    }
    expect(await api.payments()).toHaveLength(before);
  });
});

describe("the bench peers with ONCEPAY_BENCH_PEERS=1", () => {
  const stack = useOwnStack({ serverEnv: { ONCEPAY_BENCH_PEERS: "1" } });
  const intentsOf = async (paymentId: string) =>
    (await providerLedger(stack.provider.url)).payment_intents.filter((i) => i.metadata.oncepay_payment === paymentId);

  it("unprotected: every call charges, with the payment's writes (ledger entry, event), over REST and tRPC", async () => {
    const balance = await stack.api.balance();
    const rest = [await post(stack.api, PEERS[0]!, BODY), await post(stack.api, PEERS[0]!, BODY)];
    for (const res of rest) {
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ object: "payment", ...BODY, status: "succeeded", providerPaymentId: expect.stringMatching(/^pi_/) });
    }
    const viaTrpc = await trpc(stack.api, PROCEDURES[0]!, BODY);
    expect(viaTrpc.status).toBe(200);
    const fromTrpc = viaTrpc.body.result.data;
    expect(fromTrpc).toMatchObject({ ...BODY, status: "succeeded", idempotentReplayed: false });

    const ids = [...rest.map((r) => r.body.id as string), fromTrpc.id as string];
    expect(new Set(ids).size).toBe(3);
    for (const id of ids) expect(await intentsOf(id)).toHaveLength(1);
    expect(await stack.api.balance()).toBe(balance + 3 * BODY.amount);
    const events = await stack.api.request("/api/v1/events?limit=100");
    const succeeded = (events.body.data as { type: string; data: { payment: { id: string } } }[]).filter((e) => e.type === "payment.succeeded");
    for (const id of ids) expect(succeeded.filter((e) => e.data.payment.id === id)).toHaveLength(1);
  });

  it("naive: a key already paid answers with its payment, over REST and tRPC; no key is a 400", async () => {
    const key = newKey();
    const first = await post(stack.api, PEERS[1]!, BODY, { "idempotency-key": key });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ ...BODY, status: "succeeded", idempotencyKey: key });
    const again = await post(stack.api, PEERS[1]!, BODY, { "idempotency-key": key });
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body.id).toBe(first.body.id);
    const viaTrpc = await trpc(stack.api, PROCEDURES[1]!, { ...BODY, idempotencyKey: key });
    expect(viaTrpc.status).toBe(200);
    expect(viaTrpc.headers.get("idempotent-replayed")).toBe("true");
    expect(viaTrpc.body.result.data).toMatchObject({ id: first.body.id, idempotentReplayed: true });
    expect(await stack.api.paymentsWithKey(key)).toHaveLength(1);
    expect(await intentsOf(first.body.id)).toHaveLength(1);

    expectProblemShape(await post(stack.api, PEERS[1]!, BODY), 400, "idempotency_key_missing");
  });

  it("authenticate as POST /api/v1/payments does; other methods are 405", async () => {
    for (const path of PEERS) {
      const headers = { "idempotency-key": newKey() };
      expectProblemShape(await stack.api.request(path, { method: "POST", merchant: null, headers, body: JSON.stringify(BODY) }), 401, "unauthorized");
      // The checkout's publishable key may pay, as on the real route.
      const checkout = await stack.api.request(path, {
        method: "POST",
        merchant: null,
        headers: { ...headers, "content-type": "application/json", authorization: `Bearer ${PUBLISHABLE_KEYS.alice}` },
        body: JSON.stringify(BODY),
      });
      expect(checkout.status).toBe(201);
      expectProblemShape(await stack.api.request(path), 405, "method_not_allowed");
    }
  });
});
