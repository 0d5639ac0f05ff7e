import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { balanceOf } from "./support/api";
import { newCheckoutButton, openCheckout, payAndWait, totalMinor } from "./support/checkout";
import { providerURL } from "./support/simulator";

const CHAOS = `${providerURL}/_simulator/webhooks/chaos`;
/** Chaos delivers each event 1–3 times: three payments all but always bring a duplicate; a few more, if not. */
const PAYMENTS = { atLeast: 3, atMost: 8 };

async function chaosEnabled(request: APIRequestContext): Promise<boolean> {
  const res = await request.get(CHAOS);
  expect(res.ok()).toBe(true);
  return ((await res.json()) as { enabled: boolean }).enabled;
}

const figure = (page: Page, id: string) => page.getByTestId(`provider-${id}`).locator("strong");
const readFigure = async (page: Page, id: string) => Number(await figure(page, id).textContent());

/** Whether `condition` holds within `ms`, polled: a bound on waiting, not an assertion. */
async function within(ms: number, condition: () => Promise<boolean>): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 500))) {
    if (await condition()) return true;
  }
  return false;
}

test.beforeAll(async ({ request }) => {
  // The simulator playwright.config.ts starts delivers its webhooks to this app.
  expect(await chaosEnabled(request)).toBe(false);
});

// Whatever happens, the other scenarios get the simulator back with chaos off.
test.afterEach(async ({ request }) => {
  await request.post(CHAOS, { data: { enabled: false } });
});

test("webhook chaos on: the dashboard shows duplicates dropped, and the balance is up by exactly what was paid", async ({ page, context, request }) => {
  test.setTimeout(180_000);
  const balanceBefore = await balanceOf(request);

  // The dashboard's dev toggle, over the last hour so that earlier scenarios' figures stay put.
  await page.goto("/dashboard");
  const toggle = page.getByTestId("webhook-chaos");
  await expect(toggle).toBeEnabled(); // hydrated, and the simulator answered
  await expect(toggle).not.toBeChecked();
  const lastHour = page.getByRole("radio", { name: "Last hour" });
  await lastHour.click();
  await expect(lastHour).toHaveAttribute("aria-checked", "true");
  await expect(figure(page, "replayed")).toBeVisible();
  const replayedBefore = await readFigure(page, "replayed");
  const receivedBefore = await readFigure(page, "received");
  await page.getByLabel("Webhook chaos (duplicates, shuffled)").click();
  // Checked at once while the switch is under way (and disabled); enabled again once the simulator answered.
  await expect(toggle).toBeChecked();
  await expect(toggle).toBeEnabled();
  await expect.poll(() => chaosEnabled(request)).toBe(true);

  // Pay in the browser, as a newcomer would, next to the open dashboard.
  const checkout = await context.newPage();
  await openCheckout(checkout);
  let paid = 0;
  for (let n = 1; n <= PAYMENTS.atMost; n++) {
    if (n > 1) await newCheckoutButton(checkout).click();
    const total = await totalMinor(checkout);
    expect(await payAndWait(checkout)).toBe("paid");
    paid += total;
    if (n < PAYMENTS.atLeast) continue;
    if (await within(8_000, async () => (await readFigure(page, "replayed")) > replayedBefore)) break;
  }

  // Duplicates dropped on the dashboard; the balance up by what was paid, once each.
  await expect.poll(() => readFigure(page, "replayed"), { timeout: 20_000 }).toBeGreaterThan(replayedBefore);
  expect(await readFigure(page, "received")).toBeGreaterThan(receivedBefore);
  await expect.poll(() => balanceOf(request), { timeout: 20_000 }).toBe(balanceBefore + paid);

  // Off again, through the same toggle.
  await page.getByLabel("Webhook chaos (duplicates, shuffled)").click();
  await expect(toggle).not.toBeChecked();
  await expect(toggle).toBeEnabled();
  await expect.poll(() => chaosEnabled(request)).toBe(false);
});
