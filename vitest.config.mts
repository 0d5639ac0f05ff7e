import path from "node:path";
import { defineConfig } from "vitest/config";

// Demo mode for what loads server/env in the runner (the global setup, in-process apps), as the test
// servers run: the demo merchants, and the default webhook secret allowed. Set here, not in `test.env`,
// which the global setup does not see.
process.env.ONCEPAY_DEMO ??= "1";

export default defineConfig({
  resolve: { alias: { "@": path.resolve(import.meta.dirname) } },
  test: {
    env: { LOG_LEVEL: "silent" },
    projects: [
      {
        // The package's own tests, against its source (the examples and the app use the built package).
        extends: true,
        resolve: {
          alias: [
            { find: /^@oncepay\/idempotency$/, replacement: path.resolve(import.meta.dirname, "packages/idempotency/src/index.ts") },
            { find: /^@oncepay\/idempotency\/(.*)$/, replacement: path.resolve(import.meta.dirname, "packages/idempotency/src/$1/index.ts") },
          ],
        },
        // PGlite starts in seconds on a busy 2-core machine; stores on a real clock wait for leases.
        test: { name: "package", include: ["packages/idempotency/test/**/*.test.ts"], hookTimeout: 60_000, testTimeout: 30_000 },
      },
      {
        extends: true,
        test: { name: "unit", include: ["tests/unit/**/*.test.ts"] },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["tests/integration/**/*.test.ts"],
          globalSetup: ["tests/support/global-setup.ts"],
          // Files share the servers the global setup started; running them one at a time keeps
          // their concurrency tests honest on a 2-core machine.
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
