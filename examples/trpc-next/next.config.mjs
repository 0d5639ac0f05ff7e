import { fileURLToPath } from "node:url";

// This directory is the project, even inside the oncepay repository (whose lockfile Next would
// otherwise take for the workspace root).
const root = fileURLToPath(new URL(".", import.meta.url));

/** @type {import("next").NextConfig} */
const config = {
  outputFileTracingRoot: root,
  turbopack: { root },
  // PGlite loads its WebAssembly and data files from its own package directory at run time.
  serverExternalPackages: ["@electric-sql/pglite"],
};

export default config;
