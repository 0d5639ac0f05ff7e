import { expect, test } from "@playwright/test";
import { added, paymentsOf } from "./support/api";
import { chooseFault, openCheckout, paidId, payAndWait, status } from "./support/checkout";
import { intentsOf, providerURL } from "./support/simulator";

test.beforeAll(async ({ request }) => {
  // Payments are charged at the simulator playwright.config.ts starts, with a ledger of its own for this run.
  expect((await request.get(`${providerURL}/health`)).ok()).toBe(true);
});

test("provider times out after charging: the retry resumes, the checkout ends paid once, charged once", async ({ page, request }) => {
  const paymentsBefore = await paymentsOf(request);
  await openCheckout(page);
  await chooseFault(page, "Provider times out after charging");
  expect(await payAndWait(page)).toBe("paid");
  await expect(status(page)).not.toContainText("recovered from a replay");
  const tries = page.getByTestId("tries").locator("li");
  await expect(tries).toHaveCount(2);
  await expect(tries.nth(0)).toContainText("504");
  await expect(tries.nth(1)).toContainText("201 created");

  // Oncepay: exactly one new payment, settled. The provider: exactly one PaymentIntent for it.
  const id = await paidId(page);
  const created = added(await paymentsOf(request), paymentsBefore);
  expect(created).toEqual([expect.objectContaining({ id, status: "succeeded", providerPaymentId: expect.stringMatching(/^pi_/) })]);
  const intents = await intentsOf(request, id);
  expect(intents).toEqual([expect.objectContaining({ id: created[0]!.providerPaymentId, status: "succeeded" })]);

  // The result card: the provider's PaymentIntent, the derived key, and the resumption.
  const result = page.getByTestId("checkout-result");
  await expect(result.getByTestId("provider-payment-id")).toHaveText(intents[0]!.id);
  await expect(result.getByTestId("provider-key")).toHaveText(created[0]!.providerIdempotencyKey!);
  await expect(result.getByTestId("provider-key")).toHaveText(/^oncepay:[0-9a-f-]{36}:charge$/);
  await expect(result.getByTestId("resumption")).toContainText(/Resumed from payment_created \(tRPC retry\)/);
  await expect(result.getByTestId("recovery-points")).toContainText("payment_created");
  await expect(result.getByTestId("recovery-points")).toContainText("charged");

  // The dashboard: the key's recovery points, and the execution that resumed from one.
  const key = (await result.getByTestId("result-key").textContent())!.trim();
  await page.goto("/dashboard");
  await page.getByLabel("Search by key").fill(key);
  await page.getByTestId("records").getByRole("button", { name: key }).click();
  const timeline = page.getByTestId("timeline");
  await expect(timeline).toContainText("executed 2×");
  const points = timeline.getByTestId("recovery-points").locator("li");
  await expect(points).toHaveCount(2);
  await expect(points.nth(0)).toContainText("recovery point payment_created");
  await expect(points.nth(1)).toContainText("recovery point charged");
  const requests = timeline.getByTestId("timeline-requests").locator("li");
  await expect(requests).toHaveCount(2);
  await expect(requests.nth(0)).toContainText("failed 504");
  await expect(requests.nth(0)).not.toContainText("resumed from");
  await expect(requests.nth(1)).toContainText(/executed 20[01]/);
  await expect(requests.nth(1).getByTestId("resumed-from")).toHaveText("resumed from payment_created");
  await expect(timeline.getByTestId("timeline-summary")).toContainText("2 recovery points · 1 resumed · 0 completer runs");
});

test("provider fails before charging: the retry charges once", async ({ page, request }) => {
  const paymentsBefore = await paymentsOf(request);
  await openCheckout(page);
  await chooseFault(page, "Provider fails before charging");
  expect(await payAndWait(page)).toBe("paid");
  const tries = page.getByTestId("tries").locator("li");
  await expect(tries.nth(0)).toContainText("502");
  await expect(tries.nth(1)).toContainText("201 created");
  const id = await paidId(page);
  expect(added(await paymentsOf(request), paymentsBefore)).toEqual([expect.objectContaining({ id, status: "succeeded" })]);
  expect(await intentsOf(request, id)).toHaveLength(1);
  await expect(page.getByTestId("provider-payment-id")).toHaveText(/^pi_/);
});
