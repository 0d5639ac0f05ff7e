import os from "node:os";
import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { added, paymentsOf } from "./support/api";
import { openCheckout, paidId, payAndWait } from "./support/checkout";

/*
 * Against `next dev` (the "dev" project in playwright.config.ts), opened the way a newcomer opens it:
 * at 127.0.0.1 or the "Network" address Next prints. Next's dev server refuses its own resources
 * (/_next/*, the HMR socket) to hosts next.config.ts does not allow, and the page then renders but
 * never hydrates, so Pay does nothing.
 */

const lanAddress = Object.values(os.networkInterfaces())
  .flatMap((addresses) => addresses ?? [])
  .find((a) => a.family === "IPv4" && !a.internal)?.address;

test.beforeAll(async ({ request }) => {
  const health = await request.get("/api/health");
  expect(await health.json()).toMatchObject({ status: "ok", database: "embedded" });
});

async function payAt(page: Page, request: APIRequestContext, origin: string): Promise<void> {
  // A refused HMR socket shows up here even when the page happens to hydrate.
  const errors: string[] = [];
  page.on("console", (m) => void (m.type() === "error" && errors.push(m.text())));
  page.on("pageerror", (e) => errors.push(e.message));
  const before = await paymentsOf(request);
  await openCheckout(page, `${origin}/`);
  expect(await payAndWait(page, { timeout: 60_000 })).toBe("paid");
  expect(added(await paymentsOf(request), before)).toEqual([expect.objectContaining({ id: await paidId(page), status: "succeeded" })]);
  expect(errors).toEqual([]);
}

test("the dev server's checkout hydrates and pays at 127.0.0.1", async ({ page, request, baseURL }) => {
  expect(new URL(baseURL!).hostname).toBe("127.0.0.1");
  await payAt(page, request, baseURL!);
});

// Plain http at a LAN address is not a secure context: no crypto.randomUUID there, for one.
test("the dev server's checkout pays at this machine's LAN address", async ({ page, request, baseURL }) => {
  test.skip(!lanAddress, "this machine has no non-internal IPv4 address");
  const lan = new URL(baseURL!);
  lan.hostname = lanAddress!;
  await payAt(page, request, lan.origin);
});
