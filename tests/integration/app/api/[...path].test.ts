import { describe, expect, inject, it } from "vitest";
import { apiClient, expectProblemShape } from "@/tests/support/api";

describe.each(["postgres", "embedded", "redis"] as const)("API paths and methods on %s", (database) => {
  const api = apiClient(inject("servers")[database]);

  it("unknown API paths and unsupported methods answer in problem+json", async () => {
    expectProblemShape(await api.request("/api/v1/no-such-thing"), 404, "not_found");
    const get = await api.request("/api/v1/refunds");
    expectProblemShape(get, 405, "method_not_allowed");
    expect(get.headers.get("allow")).toBe("POST");
    const del = await api.request("/api/v1/payments", { method: "DELETE" });
    expectProblemShape(del, 405, "method_not_allowed");
    expect(del.headers.get("allow")).toBe("GET, POST");
  });
});
