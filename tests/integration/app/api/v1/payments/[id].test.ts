import { describe, expect, inject, it } from "vitest";
import { apiClient, expectProblemShape } from "@/tests/support/api";

describe.each(["postgres", "embedded", "redis"] as const)("GET /api/v1/payments/{id} on %s", (database) => {
  const api = apiClient(inject("servers")[database]);

  it("GET /payments/{id} returns the merchant's own payment", async () => {
    const created = await api.pay({ amount: 4321, currency: "usd", description: "contract test", customer: "cus_123" });
    const res = await api.request(`/api/v1/payments/${created.body.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(created.body);
    expectProblemShape(await api.request("/api/v1/payments/pay_doesnotexist"), 404, "not_found");
  });
});
