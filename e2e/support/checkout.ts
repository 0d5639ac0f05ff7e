import { expect, type Page } from "@playwright/test";

/** Opens the checkout and waits until React has hydrated (the page marks it: false in the server's HTML). */
export async function openCheckout(page: Page, url = "/"): Promise<void> {
  await page.goto(url);
  await expect(page.locator('main[data-hydrated="true"]')).toBeVisible({ timeout: 30_000 });
}

export async function chooseFault(page: Page, label: string): Promise<void> {
  await page.getByTestId("fault-toggle").getByLabel(label).check();
}

export const payButton = (page: Page) => page.getByRole("button", { name: /^(Pay |Try again)/ });

export const newCheckoutButton = (page: Page) => page.getByRole("button", { name: "Paid. Start a new checkout" });

export const status = (page: Page) => page.getByTestId("status");

/** Clicks Pay (or Try again) and waits for that run's final phase. */
export async function payAndWait(page: Page, options: { double?: boolean; timeout?: number } = {}): Promise<string> {
  const runs = Number(await status(page).getAttribute("data-runs"));
  if (options.double) await payButton(page).dblclick();
  else await payButton(page).click();
  await expect(status(page)).toHaveAttribute("data-runs", String(runs + 1));
  return outcome(page, options.timeout);
}

/** Waits for a final phase of the current attempt and returns it. */
export async function outcome(page: Page, timeout = 30_000): Promise<string> {
  await expect(status(page)).toHaveAttribute("data-phase", /^(paid|declined|failed)$/, { timeout });
  return (await status(page).getAttribute("data-phase"))!;
}

export async function attemptKey(page: Page): Promise<string> {
  return (await page.getByTestId("attempt-key").textContent())!.trim();
}

export async function paidId(page: Page): Promise<string> {
  return (await page.getByTestId("payment-id").textContent())!.trim();
}

export const usd = (minor: number) => new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" }).format(minor / 100);

/** The amount the page will charge, in minor units, read from the data the UI shows. */
export async function totalMinor(page: Page): Promise<number> {
  const text = (await page.getByTestId("total").textContent())!;
  return Math.round(Number(text.replace(/[^0-9.]/g, "")) * 100);
}
