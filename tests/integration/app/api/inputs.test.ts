import { readFileSync } from "node:fs";
import http from "node:http";
import { describe, expect, it } from "vitest";
import { newKey } from "@/fixtures";
import { authorization, expectProblemShape } from "@/tests/support/api";
import { useOwnStack } from "@/tests/support/own-stack";
import { trpcClient, trpcError } from "@/tests/support/trpc";
import { deliver, providerEvent } from "@/tests/support/webhooks";

const LIMIT = 64 * 1024;

interface ChunkedResult {
  status: number;
  body: string;
  /** What the client had written when the answer came. */
  sentWhenAnswered: number;
}

/**
 * POSTs `total` bytes with `Transfer-Encoding: chunked` (no Content-Length), written as the socket
 * takes them, and stops writing once the answer arrives: a server that buffers the whole body
 * cannot answer before all of it is sent.
 */
function chunkedPost(url: string, headers: Record<string, string>, total: number, chunkBytes = 16 * 1024): Promise<ChunkedResult> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: "POST", headers });
    const chunk = Buffer.alloc(chunkBytes, "a");
    let sent = 0;
    let answered = false;
    req.on("response", (res) => {
      answered = true;
      const sentWhenAnswered = sent;
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => {
        resolve({ status: res.statusCode ?? 0, body, sentWhenAnswered });
        req.destroy();
      });
      res.on("error", reject);
    });
    // The server may close its end once it has answered: only an error before the answer is one.
    req.on("error", (error) => {
      if (!answered) reject(error);
    });
    const pump = () => {
      while (!answered && sent < total) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once("drain", pump);
      }
      if (!answered) req.end();
    };
    pump();
  });
}

function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("VmRSS:"));
  return Number(line?.match(/(\d+)/)?.[1] ?? 0) * 1024;
}

describe("what clients send: bodies, batches and text, bounded", () => {
  const stack = useOwnStack();
  const alice = { authorization: authorization("alice"), "content-type": "application/json" };

  describe("a chunked body past 64 KiB is cut off at the limit, never buffered whole", () => {
    const MANY_MB = 64 * 1024 * 1024;
    const endpoints = () =>
      [
        ["REST payments", `${stack.server.url}/api/v1/payments`, { ...alice, "idempotency-key": newKey() }],
        ["webhooks (unauthenticated)", `${stack.server.url}/api/v1/webhooks/provider`, { "content-type": "application/json", "stripe-signature": "t=1,v1=00" }],
        ["tRPC", `${stack.server.url}/api/trpc/payment.create`, alice],
      ] as const;

    it.each([0, 1, 2])(
      "endpoint %i: just past the limit, then many MB: 413 payload_too_large before the body ends",
      async (index) => {
        const [, url, headers] = endpoints()[index]!;
        const small = await chunkedPost(url, headers, LIMIT + 16 * 1024);
        expect(small.status).toBe(413);
        expect(JSON.parse(small.body)).toMatchObject({ code: "payload_too_large", status: 413 });

        const before = rssBytes(stack.server.pid);
        const big = await chunkedPost(url, headers, MANY_MB);
        expect(big.status).toBe(413);
        expect(JSON.parse(big.body)).toMatchObject({ code: "payload_too_large" });
        // Answered long before the client could send it all: the server stopped reading at the limit.
        expect(big.sentWhenAnswered).toBeLessThan(MANY_MB / 4);
        expect(rssBytes(stack.server.pid) - before).toBeLessThan(MANY_MB / 2);
      },
      60_000,
    );

    it("a chunked body within the limit is read as usual", async () => {
      const body = JSON.stringify({ amount: 500, currency: "usd", description: "chunked" });
      const res = await new Promise<number>((resolve, reject) => {
        const req = http.request(`${stack.server.url}/api/v1/payments`, { method: "POST", headers: { ...alice, "idempotency-key": newKey() } });
        req.on("response", (r) => (r.resume(), resolve(r.statusCode ?? 0)));
        req.on("error", reject);
        req.write(body.slice(0, 10));
        req.end(body.slice(10));
      });
      expect(res).toBe(201);
    });

    it("a declared Content-Length over the limit is refused unread", async () => {
      const res = await stack.api.pay({ amount: 10, currency: "usd", description: "x".repeat(70_000) });
      expectProblemShape(res, 413, "payload_too_large");
    });
  });

  describe("a tRPC batch of more than 20 calls is a 400 problem, before any call runs", () => {
    const batchUrl = (calls: number, procedure: string) => `${stack.server.url}/api/trpc/${Array.from({ length: calls }, () => procedure).join(",")}?batch=1`;

    it("GET: 21 calls refused, 20 served", async () => {
      const input = (n: number) => encodeURIComponent(JSON.stringify(Object.fromEntries(Array.from({ length: n }, (_, i) => [i, { limit: 1 }]))));
      const refused = await fetch(`${batchUrl(21, "payment.list")}&input=${input(21)}`, { headers: alice });
      expect(refused.status).toBe(400);
      expect(refused.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      expect(await refused.json()).toMatchObject({ code: "batch_too_large", status: 400 });
      const served = await fetch(`${batchUrl(20, "payment.list")}&input=${input(20)}`, { headers: alice });
      expect(served.status).toBe(200);
      expect((await served.json()) as unknown[]).toHaveLength(20);
      // Commas spelt %2C are the same batch.
      const encoded = await fetch(`${batchUrl(21, "payment.list").replaceAll(",", "%2C")}&input=${input(21)}`, { headers: alice });
      expect(encoded.status).toBe(400);
    });

    it("POST: 21 payment.create calls refused, and none of them ran", async () => {
      const keys = Array.from({ length: 21 }, () => newKey());
      const body = JSON.stringify(Object.fromEntries(keys.map((key, i) => [i, { amount: 100, currency: "usd", idempotencyKey: key }])));
      const refused = await fetch(batchUrl(21, "payment.create"), { method: "POST", headers: alice, body });
      expect(refused.status).toBe(400);
      expect(await refused.json()).toMatchObject({ code: "batch_too_large" });
      for (const key of keys.slice(0, 3)) expect(await stack.api.paymentsWithKey(key)).toHaveLength(0);
    });
  });

  describe("text fields refuse control characters with a 400, never a 500", () => {
    const controls = ["\u0000", "a\u0000b", "line\nbreak", "tab\there", "bell\u0007", "del\u007f"];

    it.each(controls.map((c) => [JSON.stringify(c), c]))("REST payments: description or customer %s", async (_label, value) => {
      for (const field of ["description", "customer"]) {
        const key = newKey();
        const res = await stack.api.pay({ amount: 100, currency: "usd", [field]: value }, { key });
        expectProblemShape(res, 400, "validation_failed");
        expect(res.body.errors).toEqual([expect.objectContaining({ path: field, message: expect.stringMatching(/control characters/) })]);
        // Nothing kept under the key: the corrected request is created.
        expect((await stack.api.pay({ amount: 100, currency: "usd", [field]: "fine" }, { key })).status).toBe(201);
      }
    });

    it("REST: a refund's payment, a path id, an events cursor", async () => {
      const refund = await stack.api.request("/api/v1/refunds", {
        method: "POST",
        headers: { "content-type": "application/json", "idempotency-key": newKey() },
        body: JSON.stringify({ payment: "pay_\u0000" }),
      });
      expectProblemShape(refund, 400, "validation_failed");
      expectProblemShape(await stack.api.request("/api/v1/payments/pay_%00x"), 400, "validation_failed");
      expectProblemShape(await stack.api.request("/api/v1/payments/pay_%00x/receipt"), 400, "validation_failed");
      expectProblemShape(await stack.api.request("/api/v1/events?after=evt_%00"), 400, "validation_failed");
    });

    it("tRPC: payment.create, payment.byId and the dashboard's search", async () => {
      const trpc = trpcClient(stack.server.url);
      const created = await trpcError(trpc.payment.create.mutate({ amount: 100, currency: "usd", description: "a\u0000b", idempotencyKey: newKey() }));
      expect(created.data?.httpStatus).toBe(400);
      expect(created.data?.problem?.code).toBe("validation_failed");
      const byId = await trpcError(trpc.payment.byId.query({ id: "pay_\u0000" }));
      expect(byId.data?.httpStatus).toBe(400);
      const search = await trpcError(trpcClient(stack.server.url, { merchant: null }).dashboard.records.query({ search: "\u0000" }));
      expect(search.data?.httpStatus).toBe(400);
    });

    it("webhooks: an event id a header cannot carry, or NUL anywhere in the event: 400, nothing applied", async () => {
      const paid = await stack.api.pay({ amount: 1000, currency: "usd" });
      expect(paid.status).toBe(201);
      const before = await stack.api.balance();
      const refund = (id?: string, extra: Record<string, unknown> = {}) =>
        providerEvent("charge.refunded", { object: "charge", payment_intent: paid.body.providerPaymentId, amount_refunded: 100, ...extra }, id);
      for (const event of [
        refund("evt_\u2603snowman"),
        refund("evt_with space"),
        refund("evt_\u0000"),
        refund(`evt_${"x".repeat(300)}`),
        refund(undefined, { metadata: { note: "nul\u0000" } }),
        { ...refund(), type: "charge.refunded\u0000" },
      ]) {
        const res = await deliver(stack.server.url, event);
        expect(res.status).toBe(400);
        expect(JSON.parse(res.text)).toMatchObject({ code: "validation_failed" });
      }
      expect(await stack.api.balance()).toBe(before);
      // A well-formed one is applied.
      expect((await deliver(stack.server.url, refund())).status).toBe(200);
      expect(await stack.api.balance()).toBe(before - 100);
    });
  });
});
