import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test, type Page } from "@playwright/test";
import { startServer, type ServerProcess } from "../fixtures/server-process";
import { providerURL } from "./support/simulator";

// Operators (contract: "Operators"): a production server with a token of its own, beside the
// demo-mode server the other scenarios use.

const TOKEN = "e2e-operator-token-0123456789abcdef";
const bearer = { authorization: `Bearer ${TOKEN}` };

let ops: ServerProcess;
let foreign: Server;
let foreignPort = 0;

/**
 * Another site's page: as soon as it loads it tries every way a page has to make the visitor's
 * browser run `events.rebuild` (a form of each encoding, and fetch), then says it is done.
 */
function attackPage(target: string): string {
  const action = `${target}/api/trpc/events.rebuild`;
  const form = (name: string, enctype: string) =>
    `<iframe name="${name}"></iframe><form target="${name}" method="POST" action="${action}" enctype="${enctype}"><input name='{"a":"' value='"}'></form>`;
  return `<!doctype html><html><body>
${form("plain", "text/plain")}${form("multipart", "multipart/form-data")}${form("urlencoded", "application/x-www-form-urlencoded")}
<script>
  const frames = [...document.querySelectorAll("iframe")];
  // A refusal in a frame may load as a download rather than a page: a frame that never loads counts as done after 5 s.
  const loaded = frames.map((f) => new Promise((resolve) => { f.addEventListener("load", resolve, { once: true }); setTimeout(resolve, 5000); }));
  for (const f of document.forms) f.submit();
  const tries = [
    fetch(${JSON.stringify(action)}, { method: "POST", mode: "no-cors", credentials: "include", headers: { "content-type": "text/plain" }, body: "{}" }),
    fetch(${JSON.stringify(action)}, { method: "POST", credentials: "include", headers: { "content-type": "application/json" }, body: "{}" }),
  ].map((p) => p.then(() => "answered", () => "refused"));
  Promise.all([...loaded, ...tries]).then(() => { document.title = "done"; });
</script></body></html>`;
}

test.beforeAll(async () => {
  ops = await startServer({
    env: { ONCEPAY_DEMO: "0", ONCEPAY_OPERATOR_TOKEN: TOKEN, PROVIDER_WEBHOOK_SECRET: "whsec_operators_e2e", PROVIDER_URL: providerURL },
  });
  foreign = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end(attackPage(ops.url));
  });
  await new Promise<void>((resolve) => foreign.listen(0, "127.0.0.1", resolve));
  foreignPort = (foreign.address() as AddressInfo).port;
});

test.afterAll(async () => {
  await new Promise((resolve) => foreign?.close(resolve));
  await ops?.stop();
});

async function signIn(page: Page, token: string): Promise<void> {
  await page.goto(`${ops.url}/login`);
  await page.getByLabel("Operator token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** The live revenue projection's version: a rebuild, however it was run, moves it on. */
async function revenueVersion(request: import("@playwright/test").APIRequestContext): Promise<number> {
  const res = await request.get(`${ops.url}/api/trpc/events.summary`, { headers: bearer });
  expect(res.status()).toBe(200);
  return ((await res.json()) as { result: { data: { revenue: { version: number } } } }).result.data.revenue.version;
}

test("the dashboard sends a visitor to /login; the token signs in, and Sign out ends the session", async ({ page }) => {
  await page.goto(`${ops.url}/dashboard`);
  await expect(page).toHaveURL(`${ops.url}/login`);
  await expect(page.getByTestId("demo-notice")).toHaveCount(0);

  await signIn(page, "not-the-operator-token-at-all");
  await expect(page.getByTestId("sign-in-error")).toContainText("wrong");
  await expect(page).toHaveURL(`${ops.url}/login`);

  await signIn(page, TOKEN);
  await expect(page).toHaveURL(`${ops.url}/dashboard`);
  await expect(page.getByRole("heading", { name: "Idempotency dashboard" })).toBeVisible();
  // Its data comes through too: the procedures accept the session cookie.
  await expect(page.getByTestId("tile-requests").locator("strong")).toHaveText(/^\d+$/);
  await expect(page.getByTestId("demo-notice")).toHaveCount(0);
  const cookie = (await page.context().cookies(ops.url)).find((c) => c.name === "oncepay_operator");
  expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict" });

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(`${ops.url}/login`);
  expect((await page.context().cookies(ops.url)).some((c) => c.name === "oncepay_operator")).toBe(false);
  await page.goto(`${ops.url}/dashboard`);
  await expect(page).toHaveURL(`${ops.url}/login`);
});

test("a page of another site cannot make a signed-in operator's browser run a mutation", async ({ page, request }) => {
  await signIn(page, TOKEN);
  await expect(page).toHaveURL(`${ops.url}/dashboard`);
  const before = await revenueVersion(request);
  // Same site, another port (the cookie goes along: only the origin check stands in the way), and another site.
  for (const origin of [`http://127.0.0.1:${foreignPort}`, `http://localhost:${foreignPort}`]) {
    const attack = await page.context().newPage();
    await attack.goto(`${origin}/`);
    await expect(attack).toHaveTitle("done");
    await attack.close();
  }
  expect(await revenueVersion(request)).toBe(before);
  // The dashboard's own Rebuild still works: the checks stop only other sites.
  const own = await page.evaluate(async () => {
    const res = await fetch("/api/trpc/events.rebuild", { method: "POST", headers: { "content-type": "application/json" }, body: "" });
    return res.status;
  });
  expect(own).toBe(200);
  expect(await revenueVersion(request)).toBeGreaterThan(before);
});

test("in demo mode without a token, operator pages are open, with a notice that says so", async ({ page }) => {
  await page.goto("/dashboard");
  await expect(page).toHaveURL(/\/dashboard$/);
  const notice = page.getByTestId("demo-notice");
  await expect(notice).toBeVisible();
  await expect(notice).toContainText("Demo mode");
  await expect(notice).toContainText("ONCEPAY_OPERATOR_TOKEN");
  await expect(page.getByRole("button", { name: "Sign out" })).toHaveCount(0);
});
