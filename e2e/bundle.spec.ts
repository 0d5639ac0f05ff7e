import { expect, test, type Response } from "@playwright/test";
import { openCheckout, payAndWait } from "./support/checkout";

/** An API key of the secret kind anywhere in a text: `sk_` not inside a longer word (`task_` is fine). */
const SECRET_KEY = /(?<![A-Za-z0-9_])sk_[A-Za-z0-9_]+/g;

// Contract, "Principals and scoping": the browser never holds a secret key.
test("the checkout sends only its publishable key, and no page script holds a secret key", async ({ page }) => {
  const authorizations = new Set<string>();
  page.on("request", (request) => {
    const value = request.headers()["authorization"];
    if (value !== undefined) authorizations.add(value);
  });
  const scripts: Promise<{ url: string; text: string }>[] = [];
  const collect = (response: Response) => {
    if (/\/_next\/static\/.*\.js(\?|$)/.test(response.url())) scripts.push(response.text().then((text) => ({ url: response.url(), text })));
  };
  page.on("response", collect);

  await openCheckout(page);
  expect(await payAndWait(page)).toBe("paid");
  await expect(page.getByTestId("receipt-document")).toBeVisible({ timeout: 15_000 });
  // Bob too: switching merchant switches to his publishable key, never to a secret one.
  await page.getByRole("button", { name: "Paid. Start a new checkout" }).click();
  await page.getByLabel("Merchant").selectOption({ label: "Bob's Books" });
  expect(await payAndWait(page)).toBe("paid");
  page.off("response", collect);

  expect([...authorizations].sort()).toEqual(["Bearer pk_test_alice", "Bearer pk_test_bob"]);
  const loaded = await Promise.all(scripts);
  expect(loaded.length).toBeGreaterThan(0);
  for (const { url, text } of loaded) expect(text.match(SECRET_KEY), url).toBeNull();
  // Nor the server's HTML with its props for the browser.
  expect((await (await page.request.get("/")).text()).match(SECRET_KEY)).toBeNull();
});
