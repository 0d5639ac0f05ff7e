import { describe, expect, inject, it } from "vitest";
import { apiClient } from "@/tests/support/api";

describe.each(["postgres", "embedded", "redis"] as const)("GET /api/v1/balance on %s", (database) => {
  const api = apiClient(inject("servers")[database]);

  it("GET /balance sums succeeded payments by currency", async () => {
    const eur = await api.balance("bob", "eur");
    const jpy = await api.balance("bob", "jpy");
    await api.pay({ amount: 250, currency: "eur" }, { merchant: "bob" });
    await api.pay({ amount: 50, currency: "eur" }, { merchant: "bob" });
    await api.pay({ amount: 999, currency: "eur", customer: "cus_declined" }, { merchant: "bob" });
    await api.pay({ amount: 7, currency: "jpy" }, { merchant: "bob" });
    expect(await api.balance("bob", "eur")).toBe(eur + 300);
    expect(await api.balance("bob", "jpy")).toBe(jpy + 7);
  });
});
