#!/usr/bin/env node
// Proof that @oncepay/idempotency works outside this repository: builds and packs it, then installs
// each example from the tarball in a fresh directory under the OS temp dir (no workspace, no
// symlink, no hoisted node_modules to lean on) and runs its tests there.
//
//   node examples/run.mjs [--no-build] [example ...]
//
// --no-build packs the package's current dist/ as it is. Exits non-zero if anything fails; the temp
// directory of a failed example is kept for a look.
import { spawn } from "node:child_process";
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const examples = dirname(fileURLToPath(import.meta.url));
const pkg = join(dirname(examples), "packages", "idempotency");
const packDir = join(examples, ".pack");
const NAME = "@oncepay/idempotency";
const ALL = ["fetch", "trpc-next"];

const args = process.argv.slice(2);
const build = !args.includes("--no-build");
const chosen = args.filter((a) => !a.startsWith("--"));
for (const name of chosen) if (!ALL.includes(name)) fail(`unknown example "${name}" (known: ${ALL.join(", ")})`);
const selected = chosen.length > 0 ? chosen : ALL;

// What `npm run`/`npm test` at the repo's root leaves in the environment describes that project,
// not the example's: a nested npm must not read it.
const env = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !/^(npm_package_|npm_lifecycle_|npm_config_local_prefix$|npm_command$|INIT_CWD$)/.test(name)),
);

const running = new Set();
for (const signal of ["SIGINT", "SIGTERM"])
  process.on(signal, () => {
    for (const child of running) kill(child);
    process.exit(130);
  });

function fail(message) {
  console.error(`examples: ${message}`);
  process.exit(1);
}

function kill(child) {
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    // already gone
  }
}

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

/** Runs a command in its own process group (so a timeout ends all it started); resolves with its stdout when capturing. */
function run(command, commandArgs, { cwd, capture = false, timeoutMs = 10 * 60_000 }) {
  console.log(`\n$ (cd ${cwd} && ${command} ${commandArgs.join(" ")})`);
  return new Promise((resolve, reject) => {
    const child = spawn(command, commandArgs, { cwd, env, detached: true, stdio: ["ignore", capture ? "pipe" : "inherit", "inherit"] });
    running.add(child);
    let out = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk) => (out += chunk));
    const timer = setTimeout(() => {
      kill(child);
      reject(new Error(`${command} ${commandArgs.join(" ")} timed out after ${seconds(timeoutMs)}`));
    }, timeoutMs);
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      if (code === 0) resolve(out);
      else reject(new Error(`${command} ${commandArgs.join(" ")} failed (${signal ?? `exit ${code}`})`));
    });
  });
}

async function pack() {
  if (build) await run("npm", ["run", "build"], { cwd: pkg });
  if (!existsSync(join(pkg, "dist", "index.js"))) fail(`${pkg}/dist is missing: build the package first`);
  rmSync(packDir, { recursive: true, force: true });
  mkdirSync(packDir, { recursive: true });
  const [packed] = JSON.parse(await run("npm", ["pack", "--json", "--pack-destination", packDir], { cwd: pkg, capture: true }));
  return { path: join(packDir, basename(packed.filename)), size: packed.size, unpackedSize: packed.unpackedSize, files: packed.entryCount };
}

async function check(name, tarball, dir) {
  const source = join(examples, name);
  // Only the example's own sources: nothing built or installed in the repo comes along.
  const skipped = new Set(["node_modules", ".next", "package-lock.json", "next-env.d.ts"]);
  cpSync(source, dir, { recursive: true, filter: (from) => !skipped.has(basename(from)) });
  const manifestPath = join(dir, "package.json");
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
  if (!manifest.dependencies?.[NAME]) throw new Error(`${name}/package.json does not depend on ${NAME}`);
  manifest.dependencies[NAME] = `file:${tarball}`;
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + "\n");

  await run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline"], { cwd: dir });
  const installed = join(dir, "node_modules", ...NAME.split("/"));
  const stat = lstatSync(installed);
  if (stat.isSymbolicLink() || !stat.isDirectory()) throw new Error(`${installed} is not a real directory (a link back into the repo?)`);
  if (!existsSync(join(installed, "dist", "index.js"))) throw new Error(`${installed} holds no dist/index.js`);
  await run("npm", ["test"], { cwd: dir, timeoutMs: 15 * 60_000 });
}

const started = performance.now();
let tarball;
try {
  tarball = await pack();
} catch (error) {
  fail(error.message);
}
const results = [];
for (const name of selected) {
  const began = performance.now();
  const dir = mkdtempSync(join(tmpdir(), `oncepay-example-${name}-`));
  try {
    await check(name, tarball.path, dir);
    rmSync(dir, { recursive: true, force: true });
    results.push({ name, ok: true, ms: performance.now() - began });
  } catch (error) {
    results.push({ name, ok: false, ms: performance.now() - began, error, dir });
  }
}

console.log(`\n${NAME}: ${tarball.path}`);
console.log(
  `  tarball ${(tarball.size / 1024).toFixed(1)} kB (${tarball.size} bytes), unpacked ${(tarball.unpackedSize / 1024).toFixed(1)} kB, ${tarball.files} files`,
);
for (const r of results) console.log(`  ${r.ok ? "ok  " : "FAIL"} ${r.name} (${seconds(r.ms)})${r.ok ? "" : `: ${r.error.message} (kept in ${r.dir})`}`);
console.log(`  total ${seconds(performance.now() - started)}`);
if (results.some((r) => !r.ok)) process.exit(1);
