// POST /orders through @oncepay/idempotency on a plain node:http server: the order row and the
// stored answer commit in one PGlite transaction, so a retried request never makes a second order.
import { createServer } from "node:http";
import { Readable } from "node:stream";
import { pathToFileURL } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { CallPipeline, IdempotencyEngine } from "@oncepay/idempotency";
import { idempotentHandler, readJson } from "@oncepay/idempotency/fetch";
import { PostgresStore, pgliteSql, schemaSql } from "@oncepay/idempotency/pglite";
import { statement } from "@oncepay/idempotency/postgres";
import { z } from "zod";

const ORDERS_SQL = `CREATE TABLE IF NOT EXISTS orders (
  id         serial PRIMARY KEY,
  item       text NOT NULL,
  quantity   integer NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
)`;

const INSERT_ORDER = statement("insert_order", "INSERT INTO orders (item, quantity) VALUES ($1, $2) RETURNING id, item, quantity, created_at");

const orderSchema = z.object({
  item: z.string().min(1).max(100),
  quantity: z.number().int().positive(),
  // Only here to make the effect slow enough for a duplicate to meet it in flight (the tests).
  delayMs: z.number().int().min(0).max(5000).optional(),
});

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export async function createApp() {
  const db = new PGlite();
  await db.exec(schemaSql);
  await db.exec(ORDERS_SQL);

  const engine = new IdempotencyEngine(new PostgresStore(pgliteSql(db)), { ttlSeconds: 24 * 3600, lockTimeoutSeconds: 30 });
  const pipeline = new CallPipeline(engine);

  const createOrder = idempotentHandler(pipeline, async (request) => {
    const input = await readJson(request, orderSchema);
    return {
      operation: "order.create",
      // Whose key it is: a signed-in user's id in a real app; keys of different scopes never meet.
      scope: () => "demo",
      input: () => input,
      // After the claim, before the transaction opens: the wait holds no connection.
      beforeExecute: () => sleep(input.delayMs ?? 0),
      effect: async (tx) => {
        const [order] = await tx.rows(INSERT_ORDER, [input.item, input.quantity]);
        return { status: 201, body: order, headers: { location: `/orders/${order.id}` }, resourceId: String(order.id) };
      },
    };
  });

  async function handle(request) {
    const { pathname } = new URL(request.url);
    if (pathname === "/orders" && request.method === "POST") return createOrder(request);
    if (pathname === "/orders" && request.method === "GET") {
      const { rows } = await db.query("SELECT id, item, quantity, created_at FROM orders ORDER BY id");
      return Response.json({ orders: rows });
    }
    return Response.json({ error: "not found" }, { status: 404 });
  }

  return { db, handle };
}

/** node's request as a Fetch Request: repeated header lines stay repeated (the key parser refuses them). */
function toRequest(req) {
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  const url = new URL(req.url ?? "/", `http://${req.headers.host ?? "localhost"}`);
  const body = req.method === "GET" || req.method === "HEAD" ? undefined : Readable.toWeb(req);
  return new Request(url, { method: req.method, headers, body, duplex: "half" });
}

async function send(res, response) {
  const headers = {};
  for (const [name, value] of response.headers) if (name !== "set-cookie") headers[name] = value;
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers["set-cookie"] = cookies;
  const body = Buffer.from(await response.arrayBuffer());
  res.writeHead(response.status, headers);
  res.end(body);
}

export async function listen(port = 0, host = "127.0.0.1") {
  const { handle } = await createApp();
  const server = createServer((req, res) => {
    handle(toRequest(req))
      .then((response) => send(res, response))
      .catch((error) => {
        console.error(error);
        if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
        res.end("internal error");
      });
  });
  await new Promise((resolve) => server.listen(port, host, resolve));
  const { port: bound } = server.address();
  return { server, url: `http://${host}:${bound}` };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { url } = await listen(Number(process.env.PORT ?? 3000));
  // The test reads this line to learn the port (PORT=0 picks a free one).
  console.log(`listening on ${url}`);
}
