import { describe, expect, it } from "vitest";
import { cartTotal, formatMoney } from "@/app/_checkout/catalog";

describe("catalog", () => {
  it("totals a cart in the chosen currency and formats minor units", () => {
    expect(cartTotal({ tee: 2, mug: 1 }, "usd")).toBe(2 * 2500 + 1400);
    expect(cartTotal({}, "eur")).toBe(0);
    expect(formatMoney(3900, "usd")).toBe("$39.00");
    expect(formatMoney(3800, "jpy")).toBe("¥3,800");
  });
});
