import { request as httpRequest } from "node:http";
import { serializeString } from "structured-headers";
import { describe, expect, inject, it } from "vitest";
import { API_KEYS, newKey } from "@/fixtures";
import { apiClient, expectProblemShape, type HttpResult } from "@/tests/support/api";

// The contract's "Keys" section over real HTTP: the IETF draft's quoted form and Stripe's bare form
// are one key, a malformed String is refused, and so are two Idempotency-Key lines.
describe.each(["postgres", "embedded", "redis"] as const)("Idempotency-Key forms on %s", (database) => {
  const baseUrl = inject("servers")[database];
  const api = apiClient(baseUrl);
  const body = (amount: number) => ({ amount, currency: "usd", description: "keys test", customer: "cus_123" });

  /** The first request with `first` as the header value, then the retry with `second`: one payment. */
  async function expectOnePayment(key: string, first: string, second: string, amount: number) {
    const original = await api.pay(body(amount), { key: first });
    expect(original.status, original.text).toBe(201);
    expect(original.headers.get("idempotent-replayed")).toBeNull();
    expect(original.body.idempotencyKey).toBe(key);
    const balance = await api.balance();

    const retry = await api.pay(body(amount), { key: second });
    expect(retry.status, retry.text).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.text).toBe(original.text);
    expect(await api.balance()).toBe(balance);
    expect(await api.paymentsWithKey(key)).toHaveLength(1);
  }

  it('"k" first, then bare k: one payment, the retry is a replay byte for byte', async () => {
    const key = newKey();
    await expectOnePayment(key, `"${key}"`, key, 1701);
  });

  it('bare k first, then "k": one payment, the retry is a replay byte for byte', async () => {
    const key = newKey();
    await expectOnePayment(key, key, `"${key}"`, 1702);
  });

  it('escapes: the String with \\" and \\\\ is the bare key with " and \\', async () => {
    const key = `${newKey()}-"q"\\b`;
    await expectOnePayment(key, serializeString(key), key, 1703);
  });

  it.each([
    ["an unbalanced quote", (k: string) => `"${k}`],
    ["a bad escape", (k: string) => `"${k}\\n"`],
    ["trailing garbage", (k: string) => `"${k}"x`],
    ["a parameter", (k: string) => `"${k}";v=1`],
  ])("a malformed String (%s) is a 400 and creates no payment", async (_what, malform) => {
    const key = newKey();
    const raw = malform(key);
    const before = await api.balance();
    const res = await api.pay(body(1704), { key: raw });
    expectProblemShape(res, 400, "idempotency_key_invalid");
    const keys = (await api.payments()).map((p) => p.idempotencyKey);
    expect(keys.filter((k) => k.includes(key))).toEqual([]);
    expect(await api.balance()).toBe(before);
  });

  it('the empty String "" is a 400', async () => {
    const res = await api.pay(body(1705), { key: '""' });
    expectProblemShape(res, 400, "idempotency_key_invalid");
  });

  it.each([
    ["two bare keys", (a: string, b: string) => [a, b]],
    ["two Strings", (a: string, b: string) => [`"${a}"`, `"${b}"`]],
    ["a String and a bare key", (a: string, b: string) => [`"${a}"`, b]],
  ])("two Idempotency-Key lines (%s) are a 400 and create no payment", async (_what, lines) => {
    const a = newKey();
    const b = newKey();
    const before = await api.balance();
    const [first, second] = lines(a, b) as [string, string];
    const res = await rawPost(baseUrl, ["Idempotency-Key", first, "Idempotency-Key", second], JSON.stringify(body(1706)));
    expectProblemShape(res, 400, "idempotency_key_invalid");
    expect(res.body.detail).toMatch(/appeared more than once/);
    expect(await api.paymentsWithKey(a)).toEqual([]);
    expect(await api.paymentsWithKey(b)).toEqual([]);
    const keys = (await api.payments()).map((p) => p.idempotencyKey);
    expect(keys.filter((k) => k.includes(a) || k.includes(b))).toEqual([]);
    expect(await api.balance()).toBe(before);
  });

  it("the same key on two lines is still a 400", async () => {
    const key = newKey();
    const res = await rawPost(baseUrl, ["Idempotency-Key", key, "Idempotency-Key", key], JSON.stringify(body(1707)));
    expectProblemShape(res, 400, "idempotency_key_invalid");
    expect(res.body.detail).toMatch(/appeared more than once/);
    expect(await api.paymentsWithKey(key)).toEqual([]);
  });
});

/**
 * POST /api/v1/payments as alice with `extraHeaders` sent line by line: Fetch's Headers folds
 * repeated names into one line before sending, so it cannot put two Idempotency-Key lines on the wire.
 */
function rawPost(baseUrl: string, extraHeaders: string[], payload: string): Promise<HttpResult> {
  const data = Buffer.from(payload);
  const url = new URL("/api/v1/payments", baseUrl);
  // With raw headers Node adds none of its own, and a server refuses HTTP/1.1 without Host.
  const headers = [
    ["Host", url.host],
    ["Authorization", `Bearer ${API_KEYS.alice}`],
    ["Content-Type", "application/json"],
    ["Content-Length", String(data.length)],
  ].flat();
  headers.push(...extraHeaders);
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: "POST", headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", reject);
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) responseHeaders.append(name, v);
        }
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: responseHeaders, text, body });
      });
    });
    req.on("error", reject);
    req.end(data);
  });
}
