import { existsSync, readFileSync } from "node:fs";
import semver from "semver";
import { describe, expect, it } from "vitest";

/*
 * What `npm ci` warns about, read from the lockfile and package.json: a newcomer's first install
 * must print nothing they cannot act on. Only packages installed here count (optional packages for
 * other platforms are skipped by npm, and so here).
 */

interface Locked {
  version: string;
  engines?: { node?: string };
  hasInstallScript?: boolean;
}

const lock = JSON.parse(readFileSync("package-lock.json", "utf8")) as { packages: Record<string, Locked> };
const manifest = JSON.parse(readFileSync("package.json", "utf8")) as { allowScripts?: Record<string, boolean> };
const installed = Object.entries(lock.packages)
  .filter(([where]) => where !== "" && existsSync(where))
  .map(([where, locked]) => ({ ...locked, name: where.slice(where.lastIndexOf("node_modules/") + "node_modules/".length) }));

describe("npm ci", () => {
  it("installs no package whose engines exclude this Node (no EBADENGINE warning)", () => {
    const unsupported = installed.filter((p) => p.engines?.node && !semver.satisfies(process.versions.node, p.engines.node));
    expect(unsupported.map((p) => `${p.name}@${p.version} wants node ${p.engines?.node}`)).toEqual([]);
  });

  it("has every dependency's install script reviewed in allowScripts (no 'not yet covered' warning)", () => {
    const reviewed = Object.keys(manifest.allowScripts ?? {});
    const covers = (p: (typeof installed)[number]) => reviewed.some((entry) => entry === p.name || entry === `${p.name}@${p.version}`);
    const unreviewed = installed.filter((p) => p.hasInstallScript && !covers(p));
    expect(unreviewed.map((p) => `${p.name}@${p.version}`)).toEqual([]);
  });
});
