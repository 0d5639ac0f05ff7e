import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { defineConfig } from "@playwright/test";
import { chromiumLaunchOptions } from "./e2e/support/browser";

const PORT = 3210;
const baseURL = `http://127.0.0.1:${PORT}`;
const DIST_DIR = ".next-test";

// A fresh embedded database per run, so scenarios start from the seeded merchants only. The config is
// loaded again in every worker; they inherit E2E_DATA_DIR from the runner and so share its directory.
// The runner removes the directory it made when it exits (after stopping the server); set
// E2E_DATA_DIR yourself to keep a run's database for inspection.
if (!process.env.E2E_DATA_DIR) {
  const made = mkdtempSync(path.join(os.tmpdir(), "oncepay-e2e-"));
  process.env.E2E_DATA_DIR = made;
  process.on("exit", () => rmSync(made, { recursive: true, force: true }));
}
const dataDir = process.env.E2E_DATA_DIR;

// The server must use the embedded database (PGlite in dataDir), never a PostgreSQL from the caller's
// environment: unset here (the webServer env is built from process.env) and again in the command.
delete process.env.DATABASE_URL;

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
  projects: [{ name: "chromium", use: { browserName: "chromium" } }],
  webServer: {
    // `npm test` builds beforehand; alone, `npx playwright test` builds only when there is no build yet.
    command: [
      "unset DATABASE_URL",
      `(test -f ${DIST_DIR}/BUILD_ID || npm run build:test)`,
      `exec npx next start -p ${PORT} -H 127.0.0.1`,
    ].join(" && "),
    url: `${baseURL}/api/health`,
    // Room for a build on a 2-core machine when there is none yet.
    timeout: 240_000,
    reuseExistingServer: false,
    stdout: "ignore",
    stderr: "pipe",
    env: {
      NEXT_DIST_DIR: DIST_DIR,
      NEXT_TELEMETRY_DISABLED: "1",
      FAULT_INJECTION: "1",
      ONCEPAY_DATA_DIR: dataDir,
      LOG_LEVEL: "warn",
    },
  },
});
