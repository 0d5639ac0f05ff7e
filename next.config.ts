import os from "node:os";
import type { NextConfig } from "next";

/**
 * Next's dev server answers its own resources (/_next/*, the HMR socket) only to pages loaded from
 * localhost; from any other host the page renders but never hydrates, so Pay does nothing. Allowed
 * here: the loopback addresses and this machine's LAN addresses, which `next dev` prints as
 * "Network", computed at start because they differ per machine. Dev only: `next start` ignores it.
 */
function devOrigins(): string[] {
  const lan = Object.values(os.networkInterfaces())
    .flatMap((addresses) => addresses ?? [])
    .filter((a) => a.family === "IPv4" && !a.internal)
    .map((a) => a.address);
  // Next compares URL hostnames, in which an IPv6 address keeps its brackets.
  return ["127.0.0.1", "[::1]", ...lan];
}

const config: NextConfig = {
  // Tests build into their own folder so that `npm test` never fights a running `npm run dev`.
  distDir: process.env.NEXT_DIST_DIR || ".next",
  allowedDevOrigins: devOrigins(),
  // PGlite loads its WebAssembly and data files from its own package directory at run time.
  serverExternalPackages: ["@electric-sql/pglite", "@electric-sql/pglite-socket", "pino", "prom-client"],
  poweredByHeader: false,
};

export default config;
