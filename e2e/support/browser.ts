import { existsSync } from "node:fs";
import type { LaunchOptions } from "@playwright/test";

/** Playwright cannot download its own browser here; Debian's chromium is installed by .ci/run. */
export const DEBIAN_CHROMIUM = "/usr/bin/chromium";

/** Headless Debian chromium; Playwright's own browser only when /usr/bin/chromium is absent. */
export const chromiumLaunchOptions: LaunchOptions = {
  executablePath: existsSync(DEBIAN_CHROMIUM) ? DEBIAN_CHROMIUM : undefined,
  headless: true,
  // Without the networking flags Chromium keeps dialling Google, which this network refuses.
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
  ],
};
