import type { NextConfig } from "next";

const config: NextConfig = {
  // Tests build into their own folder so that `npm test` never fights a running `npm run dev`.
  distDir: process.env.NEXT_DIST_DIR || ".next",
  // PGlite loads its WebAssembly and data files from its own package directory at run time.
  serverExternalPackages: ["@electric-sql/pglite", "@electric-sql/pglite-socket", "pino", "prom-client"],
  poweredByHeader: false,
};

export default config;
