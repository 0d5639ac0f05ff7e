import { expect, test } from "@playwright/test";
import { balanceOf, paymentsOf } from "./support/api";

test("pay once: one payment, balance up by the amount", async ({ page, request }) => {
  const before = await balanceOf(request);
  const paymentsBefore = (await paymentsOf(request)).length;
  await page.goto("/");
  await page.getByLabel("Amount (minor units)").fill("2500");
  await page.getByLabel("Currency").selectOption("usd");
  await page.getByRole("button", { name: "Pay" }).click();
  const result = page.getByTestId("result");
  await expect(result).toContainText("Paid");
  const id = (await result.locator("code").textContent())?.trim();
  expect(id).toMatch(/^pay_/);
  const payments = await paymentsOf(request);
  expect(payments).toHaveLength(paymentsBefore + 1);
  expect(payments[0]).toMatchObject({ id, amount: 2500, status: "succeeded" });
  expect(await balanceOf(request)).toBe(before + 2500);
  await expect(page.getByTestId("balance")).toContainText(`usd: ${before + 2500}`);
});

test("a declined card: shown as declined, recorded as failed, no balance change", async ({ page, request }) => {
  const before = await balanceOf(request);
  await page.goto("/");
  await page.getByLabel("Amount (minor units)").fill("1300");
  await page.getByLabel(/Customer/).fill("cus_declined");
  await page.getByRole("button", { name: "Pay" }).click();
  await expect(page.getByTestId("result")).toContainText("Declined");
  const [latest] = await paymentsOf(request);
  expect(latest).toMatchObject({ amount: 1300, status: "failed" });
  expect(await balanceOf(request)).toBe(before);
});
