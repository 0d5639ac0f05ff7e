import { expect, test, type Page } from "@playwright/test";
import { chromiumLaunchOptions } from "./support/browser";

interface Seen {
  url: string;
  status: number;
}

/**
 * Console errors, uncaught exceptions and every HTTP response of the page. Responses come from the
 * DevTools protocol: Chromium fetches the tab's icon itself, and Playwright's network events never
 * show that fetch, the one that used to be a 404 on every page.
 */
async function watch(page: Page): Promise<{ errors: string[]; responses: Seen[] }> {
  const errors: string[] = [];
  page.on("console", (m) => void (m.type() === "error" && errors.push(`${m.text()} (${m.location().url})`)));
  page.on("pageerror", (e) => errors.push(e.message));
  const responses: Seen[] = [];
  const cdp = await page.context().newCDPSession(page);
  cdp.on("Network.responseReceived", (e) => responses.push({ url: e.response.url, status: e.response.status }));
  await cdp.send("Network.enable");
  return { errors, responses };
}

for (const path of ["/", "/dashboard"]) {
  test(`${path} loads with no console errors and no failed responses, its icon included`, async ({ playwright, baseURL }) => {
    // Chromium asks a site for its icon once per browser: a browser of its own makes sure it asks here.
    const browser = await playwright.chromium.launch(chromiumLaunchOptions);
    try {
      const page = await browser.newPage({ baseURL });
      const { errors, responses } = await watch(page);
      // The dashboard queries tRPC only once React has hydrated; the checkout queries nothing until
      // a payment, and marks its <main> once hydrated.
      const queried = path === "/" ? null : page.waitForResponse((r) => r.url().includes("/api/trpc/") && r.ok());
      await page.goto(path);
      if (queried) await queried;
      else await expect(page.locator('main[data-hydrated="true"]')).toBeVisible();
      // The icon comes last, after the load event: wait for it (a declared one, or the /favicon.ico
      // Chromium falls back to) so that a missing icon is seen before the verdict.
      const declared = await page.locator('link[rel~="icon"]').evaluateAll((links) => links.map((l) => (l as HTMLLinkElement).href));
      const icons = [...declared, new URL("/favicon.ico", page.url()).href];
      await expect.poll(() => responses.some((r) => icons.includes(r.url))).toBe(true);
      expect(responses.filter((r) => r.status >= 400)).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
}
