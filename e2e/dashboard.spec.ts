import { expect, test, type Page } from "@playwright/test";
import { auth } from "./support/api";
import { chooseFault, openCheckout, payAndWait } from "./support/checkout";

const tile = (page: Page, id: string) => page.getByTestId(`tile-${id}`).locator("strong");
const count = async (page: Page, id: string) => Number(await tile(page, id).textContent());

test("the dashboard shows the replay a lost response caused, and the key's timeline", async ({ page }) => {
  await openCheckout(page);
  await chooseFault(page, "Lost response");
  expect(await payAndWait(page)).toBe("paid");
  const key = (await page.getByTestId("receipt-key").textContent())!.trim();

  await page.goto("/dashboard");
  await expect(tile(page, "replayed")).not.toHaveText("0");
  expect(await count(page, "executed")).toBeGreaterThanOrEqual(1);
  await page.getByLabel("Search by key").fill(key);
  const row = page.getByTestId("records").getByRole("row").filter({ hasText: key });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText("completed");
  await row.getByRole("button", { name: key }).click();
  const requests = page.getByTestId("timeline-requests").locator("li");
  await expect(requests).toHaveCount(2);
  await expect(requests.nth(0)).toContainText("executed 502");
  await expect(requests.nth(1)).toContainText(/replayed 20[01]/); // tRPC answers 200, REST 201
  await expect(page.getByTestId("timeline")).toContainText("Stored response (201)");
});

test("the dashboard updates without a reload when a payment happens", async ({ page, request }) => {
  await page.goto("/dashboard");
  await expect(tile(page, "requests")).toBeVisible();
  const before = await count(page, "requests");
  const key = `live-${Date.now()}`;
  const res = await request.post("/api/v1/payments", {
    headers: { ...auth("bob"), "idempotency-key": key },
    data: { amount: 1234, currency: "usd" },
  });
  expect(res.status()).toBe(201);
  await expect(tile(page, "requests")).toHaveText(String(before + 1), { timeout: 5000 });
  await expect(page.getByTestId("records")).toContainText(key);
});
