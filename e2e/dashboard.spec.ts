import { expect, test, type Page } from "@playwright/test";
import { auth } from "./support/api";
import { chooseFault, openCheckout, payAndWait } from "./support/checkout";

const tile = (page: Page, id: string) => page.getByTestId(`tile-${id}`).locator("strong");
const count = async (page: Page, id: string) => Number(await tile(page, id).textContent());

test("the dashboard shows the replay a lost response caused, and the key's timeline", async ({ page }) => {
  await openCheckout(page);
  await chooseFault(page, "Lost response");
  expect(await payAndWait(page)).toBe("paid");
  const key = (await page.getByTestId("result-key").textContent())!.trim();

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

test("the webhook chaos box sits right beside its label text, on its line, wide screen or narrow", async ({ page }) => {
  await page.goto("/dashboard");
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 800 });
    const label = page.getByTestId("webhook-chaos-toggle").locator("label");
    await expect(label).toContainText("Webhook chaos (duplicates, shuffled)");
    // The text's own box (a Range over its text node), not the label's, which holds the box too.
    const { box, text, lines } = await label.evaluate((el) => {
      const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      let node: Node | null;
      while ((node = walker.nextNode()) && !node.textContent?.includes("Webhook chaos"));
      const range = document.createRange();
      range.selectNodeContents(node!);
      const { left, right, top, bottom } = el.querySelector("input")!.getBoundingClientRect();
      const t = range.getBoundingClientRect();
      return { box: { left, right, top, bottom }, text: { left: t.left, top: t.top, bottom: t.bottom }, lines: range.getClientRects().length };
    });
    expect(lines, `at ${width}px the label text is on one line`).toBe(1);
    const middle = (box.top + box.bottom) / 2;
    expect(middle, `at ${width}px the box is on the text's line`).toBeGreaterThan(text.top);
    expect(middle, `at ${width}px the box is on the text's line`).toBeLessThan(text.bottom);
    const gap = text.left - box.right;
    expect(gap, `at ${width}px the gap between box and text`).toBeGreaterThanOrEqual(2);
    expect(gap, `at ${width}px the gap between box and text`).toBeLessThanOrEqual(12);
  }
});

test("the Jobs panel shows the completer, the reaper and the cleanup, each running on an instance", async ({ page }) => {
  await page.goto("/dashboard");
  const panel = page.getByTestId("jobs-panel");
  for (const job of ["completer", "reaper", "cleanup"]) {
    await expect(panel.getByTestId(`job-${job}`)).toBeVisible();
    // The lease's holder, once the scheduler has written its first renewal.
    await expect(panel.getByTestId(`job-${job}`).locator("td").nth(1)).not.toHaveText("—", { timeout: 15_000 });
  }
});
