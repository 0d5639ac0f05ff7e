// `next build --webpack`, then `next start` on a free port, then over real HTTP: a replayed
// mutation, waiting instead of 409, and a reused key.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, before, test } from "node:test";

const dir = import.meta.dirname;
const next = join(dir, "node_modules", "next", "dist", "bin", "next");
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: "1" };
let server;
let base;

function run(args) {
  const child = spawn(process.execPath, [next, ...args], { cwd: dir, env, stdio: "inherit" });
  return once(child, "exit").then(([code]) => assert.equal(code, 0, `next ${args.join(" ")} exited with ${code}`));
}

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer().once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

before(
  async () => {
    await run(["build", "--webpack"]);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    // Its own process group, so that `after` ends whatever next start runs under it.
    server = spawn(process.execPath, [next, "start", "-p", String(port), "-H", "127.0.0.1"], { cwd: dir, env, stdio: "inherit", detached: true });
    const exited = once(server, "exit").then(([code]) => {
      throw new Error(`next start exited with ${code}`);
    });
    // Ready once a query answers: that also opens the database, which takes a while in PGlite.
    const deadline = Date.now() + 120_000;
    for (;;) {
      const ready = await Promise.race([
        fetch(`${base}/api/trpc/note.list`).then(
          (r) => r.ok,
          () => false,
        ),
        exited,
      ]);
      if (ready) break;
      if (Date.now() > deadline) throw new Error("next start did not answer within 120 s");
      await sleep(250);
    }
  },
  { timeout: 600_000 },
);

after(async () => {
  if (server && server.exitCode === null && server.signalCode === null) {
    const exit = once(server, "exit");
    process.kill(-server.pid, "SIGTERM");
    await exit;
  }
});

async function createNote(input, headers = {}) {
  const response = await fetch(`${base}/api/trpc/note.create`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(input),
  });
  return { status: response.status, headers: response.headers, json: await response.json() };
}

async function notesWith(text) {
  const { result } = await (await fetch(`${base}/api/trpc/note.list`)).json();
  return result.data.filter((note) => note.text === text);
}

test("the same key twice: one note, the second answer the same data marked as a replay", async () => {
  const input = { idempotencyKey: randomUUID(), text: `first ${randomUUID()}` };
  const first = await createNote(input);
  const second = await createNote(input);
  assert.equal(first.status, 200);
  assert.equal(second.status, 200);
  const { idempotentReplayed: firstReplayed, ...note } = first.json.result.data;
  const { idempotentReplayed: secondReplayed, ...again } = second.json.result.data;
  assert.equal(firstReplayed, false);
  assert.equal(secondReplayed, true);
  assert.deepEqual(again, note);
  assert.equal(note.text, input.text);
  assert.equal((await notesWith(input.text)).length, 1);
});

test("a duplicate in flight: CONFLICT (409) with the problem, without Prefer", async () => {
  const input = { idempotencyKey: randomUUID(), text: `slow ${randomUUID()}`, delayMs: 1000 };
  const original = createNote(input);
  await sleep(300);
  const duplicate = await createNote(input);
  assert.equal(duplicate.status, 409);
  assert.equal(duplicate.json.error.data.code, "CONFLICT");
  assert.equal(duplicate.json.error.data.problem.code, "idempotency_key_in_use");
  assert.equal((await original).status, 200);
  assert.equal((await notesWith(input.text)).length, 1);
});

test("a duplicate in flight with Prefer: wait=5 gets the original's data", async () => {
  const input = { idempotencyKey: randomUUID(), text: `waited ${randomUUID()}`, delayMs: 1000 };
  const original = createNote(input);
  await sleep(300);
  const duplicate = await createNote(input, { prefer: "wait=5" });
  const first = await original;
  assert.equal(first.status, 200);
  assert.equal(duplicate.status, 200);
  assert.equal(duplicate.headers.get("preference-applied"), "wait=5");
  assert.deepEqual(duplicate.json.result.data, { ...first.json.result.data, idempotentReplayed: true });
  assert.equal((await notesWith(input.text)).length, 1);
});

test("the same key with another text: UNPROCESSABLE_CONTENT (422) idempotency_key_reused", async () => {
  const key = randomUUID();
  const text = `one ${randomUUID()}`;
  assert.equal((await createNote({ idempotencyKey: key, text })).status, 200);
  const reused = await createNote({ idempotencyKey: key, text: `${text}, edited` });
  assert.equal(reused.status, 422);
  assert.equal(reused.json.error.data.code, "UNPROCESSABLE_CONTENT");
  assert.equal(reused.json.error.data.problem.code, "idempotency_key_reused");
  assert.equal((await notesWith(text)).length, 1);
  assert.equal((await notesWith(`${text}, edited`)).length, 0);
});

test("no idempotencyKey: BAD_REQUEST (400) idempotency_key_missing", async () => {
  const text = `keyless ${randomUUID()}`;
  const missing = await createNote({ text });
  assert.equal(missing.status, 400);
  assert.equal(missing.json.error.data.problem.code, "idempotency_key_missing");
  assert.equal((await notesWith(text)).length, 0);
});
