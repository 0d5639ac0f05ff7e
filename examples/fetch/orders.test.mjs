// Over real HTTP against `node server.mjs` in a child process: replay, waiting instead of 409,
// a reused key and a missing one.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { randomUUID } from "node:crypto";
import { after, before, test } from "node:test";

let server;
let base;

before(async () => {
  server = spawn(process.execPath, ["server.mjs"], {
    cwd: import.meta.dirname,
    env: { ...process.env, PORT: "0" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  server.stdout.setEncoding("utf8");
  base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 30_000);
    server.stdout.on("data", (chunk) => {
      out += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    server.once("exit", (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
});

after(async () => {
  if (server.exitCode === null) {
    server.kill();
    await once(server, "exit");
  }
});

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function order(key, body, headers = {}) {
  const response = await fetch(`${base}/orders`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key === null ? {} : { "idempotency-key": key }), ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

async function ordersOf(item) {
  const { orders } = await (await fetch(`${base}/orders`)).json();
  return orders.filter((o) => o.item === item);
}

function problemOf(result) {
  assert.equal(result.headers.get("content-type"), "application/problem+json");
  return JSON.parse(result.text);
}

test("the same key and body twice: one order, the second answer a replay of the first", async () => {
  const key = randomUUID();
  const body = { item: `book-${key}`, quantity: 2 };
  const first = await order(key, body);
  const second = await order(key, body);
  assert.equal(first.status, 201);
  assert.equal(first.headers.get("idempotent-replayed"), null);
  assert.equal(second.status, first.status);
  assert.equal(second.text, first.text);
  assert.equal(second.headers.get("location"), first.headers.get("location"));
  assert.equal(second.headers.get("idempotent-replayed"), "true");
  assert.equal((await ordersOf(body.item)).length, 1);
});

test("a duplicate in flight: 409 at once without Prefer", async () => {
  const key = randomUUID();
  const body = { item: `lamp-${key}`, quantity: 1, delayMs: 1000 };
  const original = order(key, body);
  await sleep(300);
  const duplicate = await order(key, body);
  assert.equal(duplicate.status, 409);
  const problem = problemOf(duplicate);
  assert.equal(problem.code, "idempotency_key_in_use");
  assert.equal(problem.status, 409);
  assert.ok(duplicate.headers.get("retry-after"));
  assert.equal((await original).status, 201);
  assert.equal((await ordersOf(body.item)).length, 1);
});

test("a duplicate in flight with Prefer: wait=5 gets the original's answer", async () => {
  const key = randomUUID();
  const body = { item: `desk-${key}`, quantity: 3, delayMs: 1000 };
  const original = order(key, body);
  await sleep(300);
  const started = Date.now();
  const duplicate = await order(key, body, { prefer: "wait=5" });
  const first = await original;
  assert.equal(first.status, 201);
  assert.equal(duplicate.status, 201);
  assert.equal(duplicate.text, first.text);
  assert.equal(duplicate.headers.get("idempotent-replayed"), "true");
  assert.equal(duplicate.headers.get("preference-applied"), "wait=5");
  assert.ok(Date.now() - started < 5_000, "woken by the original's completion, not by the deadline");
  assert.equal((await ordersOf(body.item)).length, 1);
});

test("the same key with another body: 422 idempotency_key_reused", async () => {
  const key = randomUUID();
  const item = `chair-${key}`;
  assert.equal((await order(key, { item, quantity: 1 })).status, 201);
  const reused = await order(key, { item, quantity: 5 });
  assert.equal(reused.status, 422);
  assert.equal(problemOf(reused).code, "idempotency_key_reused");
  assert.equal((await ordersOf(item)).length, 1);
});

test("no Idempotency-Key: 400 and nothing made", async () => {
  const item = `pen-${randomUUID()}`;
  const missing = await order(null, { item, quantity: 1 });
  assert.equal(missing.status, 400);
  assert.equal(problemOf(missing).code, "idempotency_key_missing");
  assert.equal((await ordersOf(item)).length, 0);
});
