import { createHash } from "node:crypto";
import { expect, test } from "@playwright/test";
import { auth } from "./support/api";
import { openCheckout, paidId, payAndWait } from "./support/checkout";

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

test("a payment's events reach the consumers: a content-addressed receipt, and the dashboard's event path and revenue", async ({ page, request }) => {
  await openCheckout(page);
  expect(await payAndWait(page)).toBe("paid");
  const id = await paidId(page);

  // (a) The receipts consumer writes the document a moment after the payment; the checkout polls for it.
  const link = page.getByTestId("receipt-document");
  await expect(link).toBeVisible();
  const address = (await link.getAttribute("data-sha256"))!;
  expect(address).toMatch(/^[0-9a-f]{64}$/);
  await expect(link).toContainText(address.slice(0, 12));
  await expect(link).toContainText(/v\d+/);
  const href = (await link.getAttribute("href"))!;
  expect(href).toBe(`/api/v1/receipts/${address}`);
  // The REST view of the same payment agrees with the link.
  const located = await request.get(`/api/v1/payments/${id}/receipt`, { headers: auth("alice") });
  expect(located.status()).toBe(200);
  expect(await located.json()).toEqual(expect.objectContaining({ sha256: address, url: href }));
  // The document is public, JSON, and its bytes hash to its address.
  const doc = await request.get(href);
  expect(doc.status()).toBe(200);
  expect(doc.headers()["content-type"]).toContain("application/json");
  const body = await doc.body();
  expect(sha256(body)).toBe(address);
  expect(() => JSON.parse(body.toString("utf8")) as unknown).not.toThrow();

  // (b) The dashboard: the event produced, both consumers applied it, and the projection's version.
  await page.goto("/dashboard");
  const panel = page.getByTestId("events-panel");
  await expect(panel).toBeVisible();
  const figure = async (testId: string) => Number(await panel.getByTestId(testId).locator("strong").textContent());
  await expect.poll(() => figure("events-produced")).toBeGreaterThanOrEqual(1);
  await expect(panel.getByTestId("events-published")).toContainText(/in-process|\d+/);
  await expect.poll(() => figure("consumer-receipts-applied")).toBeGreaterThanOrEqual(1);
  await expect.poll(() => figure("consumer-revenue-applied")).toBeGreaterThanOrEqual(1);
  await expect(panel.getByTestId("consumer-receipts-lag")).toContainText(/\d+ events? \/ \d+\.\d s/);
  await expect(panel.getByTestId("consumer-revenue-lag")).toContainText(/\d+ events? \/ \d+\.\d s/);
  const chart = page.getByTestId("revenue-chart");
  await expect(chart.getByTestId("revenue-version")).toHaveText(/^v\d+ · \d+ events? \/ \d+\.\d s behind/);

  // A rebuild swaps in a new version; the caption follows.
  const version = async () => Number((await chart.getByTestId("revenue-version").textContent())!.match(/^v(\d+)/)?.[1] ?? NaN);
  const before = await version();
  await panel.getByTestId("rebuild-projection").click();
  await expect(panel.getByTestId("rebuild-report")).toHaveText(/^Rebuilt v\d+: \d+ events? in \d+(\.\d+)? ms\.$/);
  await expect.poll(version).toBeGreaterThan(before);
});
