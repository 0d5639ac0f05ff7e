import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { defineConfig } from "@playwright/test";
import { chromiumLaunchOptions } from "./e2e/support/browser";
import { PROVIDER_PORT, providerURL } from "./e2e/support/simulator";

// Fixed by default; E2E_PORT and E2E_DEV_PORT let two checkouts of the repo run their scenarios at once.
const PORT = Number(process.env.E2E_PORT ?? 3210);
const baseURL = `http://127.0.0.1:${PORT}`;
const DIST_DIR = ".next-test";
// `npm run dev` as a newcomer opens it: at 127.0.0.1, not localhost (see e2e/dev-server.spec.ts).
const DEV_PORT = Number(process.env.E2E_DEV_PORT ?? 3211);
const devURL = `http://127.0.0.1:${DEV_PORT}`;
const DEV_DIST_DIR = ".next-e2e-dev";
const DEV_SPEC = /dev-server\.spec\.ts$/;
// One provider simulator for both app servers (E2E_PROVIDER_PORT, see e2e/support/simulator.ts): payments are charged there.

/**
 * A fresh embedded database per run and server, so scenarios start from the seeded merchants only.
 * The config is loaded again in every worker; they inherit the variable from the runner and so share
 * its directory. The runner removes the directory it made when it exits (after stopping the
 * servers); set the variable yourself to keep a run's database for inspection.
 */
function freshDataDir(variable: string): string {
  if (!process.env[variable]) {
    const made = mkdtempSync(path.join(os.tmpdir(), "oncepay-e2e-"));
    process.env[variable] = made;
    process.on("exit", () => rmSync(made, { recursive: true, force: true }));
  }
  return process.env[variable];
}
const dataDir = freshDataDir("E2E_DATA_DIR");
const devDataDir = freshDataDir("E2E_DEV_DATA_DIR");
const providerDataDir = freshDataDir("E2E_PROVIDER_DATA_DIR");

// The servers must use the embedded database (PGlite in their data dir), never a PostgreSQL from the
// caller's environment: unset here (the webServer env is built from process.env) and again in the commands.
delete process.env.DATABASE_URL;

// Demo mode, as `npm run dev`: the checkout acts as the demo merchants, the tests call the API with their
// keys, and the dashboard's scenarios run without signing in (e2e/operators.spec.ts starts its own server with a token).
const serverEnv = { NEXT_TELEMETRY_DISABLED: "1", FAULT_INJECTION: "1", ONCEPAY_DEMO: "1", LOG_LEVEL: "warn", PROVIDER_URL: providerURL };

export default defineConfig({
  testDir: "e2e",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  reporter: [["list"], ["html", { outputFolder: "playwright-report", open: "never" }]],
  use: {
    baseURL,
    headless: true,
    launchOptions: chromiumLaunchOptions,
    screenshot: "only-on-failure",
  },
  projects: [
    { name: "chromium", testIgnore: DEV_SPEC, use: { browserName: "chromium" } },
    {
      name: "dev",
      testMatch: DEV_SPEC,
      use: { browserName: "chromium", baseURL: devURL },
      // The dev server compiles on first request: minutes on a 2-core machine.
      timeout: 300_000,
      expect: { timeout: 30_000 },
    },
  ],
  webServer: [
    {
      // First, so that it is up before either app charges through it; its own fresh ledger per run.
      command: "npm run simulator",
      url: `${providerURL}/health`,
      timeout: 60_000,
      reuseExistingServer: false,
      stdout: "ignore",
      stderr: "pipe",
      // Its webhooks go to the production-build app (the dev one gets none); the dashboard's summary
      // counts merchants' calls only, and the Provider panel the deliveries (see e2e/webhooks.spec.ts).
      env: {
        LOG_LEVEL: "warn",
        PROVIDER_PORT: String(PROVIDER_PORT),
        PROVIDER_DATA_DIR: providerDataDir,
        PROVIDER_WEBHOOK_URL: `${baseURL}/api/v1/webhooks/provider`,
      },
    },
    {
      // `npm test` builds beforehand; alone, `npx playwright test` builds only when there is no build yet.
      command: ["unset DATABASE_URL", `(test -f ${DIST_DIR}/BUILD_ID || npm run build:test)`, `exec npx next start -p ${PORT} -H 127.0.0.1`].join(" && "),
      url: `${baseURL}/api/health`,
      // Room for a build on a 2-core machine when there is none yet.
      timeout: 240_000,
      reuseExistingServer: false,
      stdout: "ignore",
      stderr: "pipe",
      env: { ...serverEnv, NEXT_DIST_DIR: DIST_DIR, ONCEPAY_DATA_DIR: dataDir },
    },
    {
      // As `npm run dev` runs it, with no -H: Next then listens on every interface, and it trusts
      // only localhost by itself (given -H 127.0.0.1 it would trust that host too and hide a missing
      // allowedDevOrigins). The checkout page is the readiness URL so that it compiles up front.
      command: `unset DATABASE_URL && exec npx next dev --webpack -p ${DEV_PORT}`,
      url: `${devURL}/`,
      timeout: 300_000,
      reuseExistingServer: false,
      stdout: "ignore",
      stderr: "pipe",
      env: { ...serverEnv, NEXT_DIST_DIR: DEV_DIST_DIR, ONCEPAY_DATA_DIR: devDataDir },
    },
  ],
});
