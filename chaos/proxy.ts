import http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A round-robin load balancer in front of the app instances: the one URL the clients and the
 * provider's webhooks use. It does no health checks on purpose: a request sent to an instance that
 * is dead (killed, restarting) is answered 502, as a plain balancer would, and the client retries.
 * A client that goes away (a reload) takes its upstream request with it.
 */
export interface Proxy {
  url: string;
  /** Answers given by the proxy itself (upstream unreachable or gone mid-answer). */
  badGateways(): number;
  close(): Promise<void>;
}

export async function startProxy(upstreamPorts: () => number[]): Promise<Proxy> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  let next = 0;
  let badGateways = 0;
  const server = http.createServer((req, res) => {
    const ports = upstreamPorts();
    const port = ports[next++ % ports.length]!;
    const upstream = http.request(
      { host: "127.0.0.1", port, method: req.method, path: req.url, headers: { ...req.headers, "x-forwarded-for": req.socket.remoteAddress ?? "" }, agent },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        // Cut off mid-body (the instance died): the client must see a broken answer, not a short one.
        answer.once("aborted", () => res.destroy());
        answer.once("error", () => res.destroy());
      },
    );
    upstream.once("error", () => {
      if (res.headersSent) return void res.destroy();
      badGateways++;
      res.writeHead(502, { "content-type": "application/problem+json", connection: "close" });
      res.end(
        JSON.stringify({ type: "about:blank", title: "Bad Gateway", status: 502, detail: `instance on port ${port} did not answer`, code: "bad_gateway" }),
      );
    });
    req.pipe(upstream);
    // A reload: the browser dropped the request, so the balancer drops its own.
    res.once("close", () => {
      if (!res.writableFinished) upstream.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    badGateways: () => badGateways,
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
