import { expect, test } from "@playwright/test";
import { added, balanceOf, paymentsOf } from "./support/api";
import { attemptKey, chooseFault, newCheckoutButton, openCheckout, outcome, paidId, payAndWait, payButton, status, totalMinor } from "./support/checkout";
import { AA, contrastOf } from "./support/contrast";

test.beforeAll(async ({ request }) => {
  // The scenarios count on a fresh embedded database (see playwright.config.ts), not on a shared PostgreSQL.
  const health = await request.get("/api/health");
  expect(await health.json()).toMatchObject({ status: "ok", database: "embedded" });
});

test("happy path: one click, one payment, balance up by the total", async ({ page, request }) => {
  const [balanceBefore, paymentsBefore] = [await balanceOf(request), await paymentsOf(request)];
  await openCheckout(page);
  await page.getByRole("button", { name: "Add one Retry-safe mug" }).click();
  const total = await totalMinor(page);
  expect(total).toBe(2500 + 1400);
  expect(await payAndWait(page)).toBe("paid");
  await expect(status(page)).not.toContainText("recovered from a replay");
  await expect(page.getByTestId("try-count")).toHaveText("1 (0 replays)");
  const created = added(await paymentsOf(request), paymentsBefore);
  expect(created).toEqual([expect.objectContaining({ id: await paidId(page), amount: total, status: "succeeded" })]);
  expect(await balanceOf(request)).toBe(balanceBefore + total);

  // A late Enter on the paid cart starts nothing; a new checkout is an explicit choice.
  await page.getByLabel("Customer").focus();
  await page.keyboard.press("Enter");
  await page.keyboard.press("Enter");
  await expect(newCheckoutButton(page)).toBeVisible();
  expect(added(await paymentsOf(request), paymentsBefore)).toHaveLength(1);
});

test("paid: the new-checkout button is readable, under the pointer (which is still there after Pay) or not", async ({ page }) => {
  await openCheckout(page);
  expect(await payAndWait(page)).toBe("paid");
  const button = newCheckoutButton(page);
  const hovered = () => button.evaluate((el) => el.matches(":hover"));
  await button.hover();
  await expect.poll(hovered).toBe(true);
  expect(await contrastOf(button)).toBeGreaterThanOrEqual(AA);
  await page.mouse.move(0, 0);
  await expect.poll(hovered).toBe(false);
  expect(await contrastOf(button)).toBeGreaterThanOrEqual(AA);
});

test("slow server: pressing Enter twice sends one attempt", async ({ page, request }) => {
  const paymentsBefore = await paymentsOf(request);
  await openCheckout(page);
  await chooseFault(page, "Slow server");
  const calls: string[] = [];
  page.on("request", (r) => r.url().includes("payment.create") && calls.push(r.url()));
  await page.getByLabel("Customer").fill("cus_enter");
  await page.keyboard.press("Enter");
  await page.keyboard.press("Enter");
  expect(await outcome(page)).toBe("paid");
  expect(calls).toHaveLength(1);
  expect(added(await paymentsOf(request), paymentsBefore)).toHaveLength(1);
});

for (const [mode, firstLabel] of [
  ["Lost response", /502/],
  ["Dropped in the browser", /no response/],
] as const) {
  test(`${mode}: the retry with the same key gets the replay; exactly one payment`, async ({ page, request }) => {
    const [balanceBefore, paymentsBefore] = [await balanceOf(request), await paymentsOf(request)];
    await openCheckout(page);
    await chooseFault(page, mode);
    expect(await payAndWait(page)).toBe("paid");
    await expect(status(page)).toContainText("recovered from a replay");
    const attempts = page.getByTestId("tries").locator("li");
    await expect(attempts).toHaveCount(2);
    await expect(attempts.nth(0)).toContainText(firstLabel);
    await expect(attempts.nth(1)).toContainText("201 replayed");
    const created = added(await paymentsOf(request), paymentsBefore);
    expect(created).toHaveLength(1);
    expect(created[0]!.id).toBe(await paidId(page));
    expect(await balanceOf(request)).toBe(balanceBefore + 2500);
  });
}

test("fail before commit: the retry executes afresh and succeeds; one payment", async ({ page, request }) => {
  const paymentsBefore = await paymentsOf(request);
  await openCheckout(page);
  await chooseFault(page, "Fail before commit");
  expect(await payAndWait(page)).toBe("paid");
  await expect(status(page)).not.toContainText("recovered from a replay");
  const attempts = page.getByTestId("tries").locator("li");
  await expect(attempts.nth(0)).toContainText("503");
  await expect(attempts.nth(1)).toContainText("201 created");
  const created = added(await paymentsOf(request), paymentsBefore);
  expect(created).toHaveLength(1);
});

test("slow server: a double click sends one attempt; a second tab with the same attempt waits for it and gets the replay", async ({
  page,
  context,
  request,
}) => {
  const paymentsBefore = await paymentsOf(request);
  await openCheckout(page);
  await chooseFault(page, "Slow server");
  const calls: string[] = [];
  page.on("request", (r) => r.url().includes("payment.create") && calls.push(r.url()));
  await payButton(page).dblclick();
  await expect(status(page)).toHaveAttribute("data-phase", "paying");
  const key = await attemptKey(page);

  // The impatient customer opens a second tab holding the same attempt (as a duplicated tab does).
  const storage = await page.evaluate(() => JSON.stringify(sessionStorage));
  const second = await context.newPage();
  await openCheckout(second);
  await second.evaluate((s) => Object.entries(JSON.parse(s) as Record<string, string>).forEach(([k, v]) => sessionStorage.setItem(k, v)), storage);
  await openCheckout(second);
  expect(await attemptKey(second)).toBe(key);
  await payButton(second).click();

  expect(await outcome(second)).toBe("paid");
  expect(await outcome(page)).toBe("paid");
  // Prefer: wait: the second tab's one try waited for the first and got its outcome, no 409 on the way.
  await expect(second.getByTestId("tries")).not.toContainText("409");
  await expect(second.getByTestId("tries").locator("li")).toHaveCount(1);
  await expect(status(second)).toContainText("recovered from a replay");
  expect(await paidId(second)).toBe(await paidId(page));
  expect(calls).toHaveLength(1);
  const created = added(await paymentsOf(request), paymentsBefore);
  expect(created).toEqual([expect.objectContaining({ idempotencyKey: key })]);
});

test("reload in the middle of retries: the same key after reload; one payment", async ({ page, request }) => {
  const paymentsBefore = await paymentsOf(request);
  // Every answer to payment.create is lost on the way back, after the server has committed.
  await page.route("**/api/trpc/payment.create**", async (route) => {
    try {
      await route.fetch();
      await route.abort("connectionreset");
    } catch {
      // The page navigated away meanwhile: nothing left to drop.
    }
  });
  await openCheckout(page);
  await payButton(page).click();
  await expect(status(page)).toContainText(/Retrying \([2-5]\/5\)/);
  const key = await attemptKey(page);

  // Reload while answers are still being lost: unrouting first would let a pending retry land
  // (a replay) before the reload, and the page would reload already paid.
  await openCheckout(page);
  expect(await attemptKey(page)).toBe(key);
  await expect(status(page)).toContainText("reloaded");
  await page.unroute("**/api/trpc/payment.create**");
  expect(await payAndWait(page)).toBe("paid");
  await expect(status(page)).toContainText("recovered from a replay");
  const created = added(await paymentsOf(request), paymentsBefore);
  expect(created).toEqual([expect.objectContaining({ idempotencyKey: key, id: await paidId(page) })]);
});

test("declined card: 402 shown, a retry replays the decline, no balance change, a new cart gets a new key", async ({ page, request }) => {
  const [balanceBefore, paymentsBefore] = [await balanceOf(request), await paymentsOf(request)];
  await openCheckout(page);
  await page.getByLabel("Customer").fill("cus_declined");
  expect(await payAndWait(page)).toBe("declined");
  await expect(status(page)).toContainText("Declined");
  const key = await attemptKey(page);

  expect(await payAndWait(page)).toBe("declined");
  await expect(status(page).getByTestId("tries")).toContainText("402 declined, replayed");
  expect(await attemptKey(page)).toBe(key);

  await page.getByRole("button", { name: "Add one Idempotency stickers" }).click();
  await expect(page.getByText("A new idempotency key is made when you pay.")).toBeVisible();
  expect(await payAndWait(page)).toBe("declined");
  const newKey = await attemptKey(page);
  expect(newKey).not.toBe(key);

  const created = added(await paymentsOf(request), paymentsBefore);
  expect(created.map((p) => [p.idempotencyKey, p.status]).sort()).toEqual(
    [
      [key, "failed"],
      [newKey, "failed"],
    ].sort(),
  );
  expect(await balanceOf(request)).toBe(balanceBefore);
});

test("two merchants, the same key forced: two separate payments, no leak", async ({ page, request }) => {
  const before = { alice: await paymentsOf(request, "alice"), bob: await paymentsOf(request, "bob") };
  const bobBalance = await balanceOf(request, "bob");
  const key = `forced-${Date.now()}`;
  await openCheckout(page);
  await page.getByText("Advanced: choose the next attempt's key").click();
  await page.getByLabel(/Idempotency key for the next new attempt/).fill(key);
  expect(await payAndWait(page)).toBe("paid");
  const aliceId = await paidId(page);

  await page.getByLabel("Merchant").selectOption("bob");
  await page.getByRole("button", { name: "Add one Retry-safe mug" }).click();
  expect(await payAndWait(page)).toBe("paid");
  await expect(status(page)).not.toContainText("recovered from a replay");
  const bobId = await paidId(page);
  expect(bobId).not.toBe(aliceId);

  expect(added(await paymentsOf(request, "alice"), before.alice)).toEqual([expect.objectContaining({ id: aliceId, idempotencyKey: key, amount: 2500 })]);
  expect(added(await paymentsOf(request, "bob"), before.bob)).toEqual([expect.objectContaining({ id: bobId, idempotencyKey: key, amount: 3900 })]);
  expect(await balanceOf(request, "bob")).toBe(bobBalance + 3900);
});

test("flaky network, 20 checkouts: payments == successful checkouts, balance == their sum", async ({ page, request }) => {
  test.setTimeout(180_000);
  const [balanceBefore, paymentsBefore] = [await balanceOf(request), await paymentsOf(request)];
  await openCheckout(page);
  await chooseFault(page, "Flaky");
  await page.getByRole("spinbutton", { name: "Seed" }).fill("7");
  const paid: string[] = [];
  let replays = 0;
  for (let i = 0; i < 20; i++) {
    if (i > 0) await newCheckoutButton(page).click();
    // A checkout that gave up is retried by the customer with the same key until it settles.
    let phase = await payAndWait(page, { timeout: 60_000 });
    for (let tries = 0; tries < 5 && phase === "failed"; tries++) phase = await payAndWait(page, { timeout: 60_000 });
    expect(phase).toBe("paid");
    paid.push(await paidId(page));
    replays += await page.getByTestId("tries").locator(".badge").count();
  }
  expect(new Set(paid).size).toBe(20);
  expect(replays).toBeGreaterThan(0); // the seed does exercise the replay path
  const created = added(await paymentsOf(request), paymentsBefore);
  expect(created.map((p) => p.id).sort()).toEqual([...paid].sort());
  expect(await balanceOf(request)).toBe(balanceBefore + 20 * 2500);
});

test("the page's own code throws after the charge (storage full): it ends failed with the same key, and Try again charges once", async ({ page, request }) => {
  const paymentsBefore = await paymentsOf(request);
  // Storage filling up mid-payment, as a real browser's does: the attempt's first write (just before its
  // request) lands, every later one throws until the test frees it. So the page's own code throws after
  // the server has charged, while it handles the answer.
  await page.addInitScript(() => {
    const setItem = Storage.prototype.setItem; // eslint-disable-line @typescript-eslint/unbound-method -- called on its storage below
    let writes = 0;
    Storage.prototype.setItem = function (key: string, value: string) {
      if (key === "oncepay.attempt" && ++writes > 1 && !("storageFreed" in window))
        throw new DOMException("The quota has been exceeded.", "QuotaExceededError");
      setItem.call(this, key, value);
    };
  });
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await openCheckout(page);
  expect(await payAndWait(page)).toBe("failed");
  await expect(status(page)).toContainText("QuotaExceededError");
  await expect(page.getByText("Paying…")).toHaveCount(0);
  await expect(payButton(page)).toHaveText("Try again");
  const key = await attemptKey(page);
  const charged = added(await paymentsOf(request), paymentsBefore);
  expect(charged).toEqual([expect.objectContaining({ idempotencyKey: key, status: "succeeded" })]);

  // Still full: Try again fails the same way, before sending anything, and keeps the key.
  expect(await payAndWait(page)).toBe("failed");
  expect(await attemptKey(page)).toBe(key);

  await page.evaluate(() => Object.assign(window, { storageFreed: true }));
  expect(await payAndWait(page)).toBe("paid");
  await expect(status(page)).toContainText("recovered from a replay");
  expect(await paidId(page)).toBe(charged[0]?.id);
  expect(added(await paymentsOf(request), paymentsBefore)).toHaveLength(1);
  expect(errors).toEqual([]);
});
