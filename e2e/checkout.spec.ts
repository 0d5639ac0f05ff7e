import { expect, test, type Page } from "@playwright/test";
import { balanceOf, paymentsOf, type PaymentView } from "./support/api";

/** Opens the checkout and waits until React has hydrated (the balance query only runs in the browser). */
async function openCheckout(page: Page) {
  const balanceLoaded = page.waitForResponse((res) => res.url().includes("/api/trpc/balance.get") && res.ok());
  await page.goto("/");
  await balanceLoaded;
}

/** Payments of alice that were not there before. */
function added(after: PaymentView[], before: PaymentView[]): PaymentView[] {
  const seen = new Set(before.map((p) => p.id));
  return after.filter((p) => !seen.has(p.id));
}

test.beforeAll(async ({ request }) => {
  // The scenarios count on a fresh embedded database (see playwright.config.ts), not on a shared PostgreSQL.
  const health = await request.get("/api/health");
  expect(health.ok()).toBe(true);
  expect(await health.json()).toMatchObject({ status: "ok", database: "embedded" });
});

test("pay once: one payment, balance up by the amount", async ({ page, request }, testInfo) => {
  const balanceBefore = await balanceOf(request);
  const paymentsBefore = await paymentsOf(request);

  await openCheckout(page);
  await page.getByLabel("Amount (minor units)").fill("2500");
  await page.getByLabel("Currency").selectOption("usd");
  await page.getByRole("button", { name: "Pay" }).click();

  const result = page.getByTestId("result");
  await expect(result).toContainText("Paid");
  const id = (await result.locator("code").textContent())?.trim();
  expect(id).toMatch(/^pay_\w+/);
  await expect(page.getByTestId("balance")).toContainText(`usd: ${balanceBefore + 2500}`);
  await testInfo.attach("checkout after paying", { body: await page.screenshot({ fullPage: true }), contentType: "image/png" });

  const created = added(await paymentsOf(request), paymentsBefore);
  expect(created).toHaveLength(1);
  expect(created[0]).toMatchObject({ id, amount: 2500, currency: "usd", status: "succeeded" });
  expect(await balanceOf(request)).toBe(balanceBefore + 2500);
});

test("a declined card: shown as declined, recorded as failed, no balance change", async ({ page, request }) => {
  const balanceBefore = await balanceOf(request);
  const paymentsBefore = await paymentsOf(request);

  await openCheckout(page);
  await page.getByLabel("Amount (minor units)").fill("1300");
  await page.getByLabel("Currency").selectOption("usd");
  await page.getByLabel(/Customer/).fill("cus_declined");
  await page.getByRole("button", { name: "Pay" }).click();

  await expect(page.getByTestId("result")).toContainText("Declined");
  await expect(page.getByTestId("result")).not.toContainText("Paid");

  const created = added(await paymentsOf(request), paymentsBefore);
  expect(created).toHaveLength(1);
  expect(created[0]).toMatchObject({ amount: 1300, currency: "usd", status: "failed" });
  expect(await balanceOf(request)).toBe(balanceBefore);
});
