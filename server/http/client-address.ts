import type { IncomingMessage, Server as HttpServer } from "node:http";

/**
 * The header that carries the TCP peer's address to route handlers. Next gives a route handler no
 * peer address, and fills `X-Forwarded-For` only when the client did not send one, so that header
 * is whatever an attacker wants it to be: per-address limits keyed on it would limit nobody.
 */
export const PEER_HEADER = "x-oncepay-peer";

const installed = Symbol.for("oncepay.peerAddress");

/**
 * Stamps every incoming request with its socket's address, overwriting any value the client sent.
 * Called once per process from `instrumentation.ts`, before the server answers its first request.
 */
export function installPeerAddress(): void {
  // Reached at run time, not imported: instrumentation is also compiled for the edge runtime, which has no http.
  const { Server } = process.getBuiltinModule("node:http") as { Server: typeof HttpServer };
  const proto = Server.prototype as HttpServer & { [installed]?: true };
  if (proto[installed]) return;
  proto[installed] = true;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called with the server as `this` below
  const emit = proto.emit;
  proto.emit = function (this: HttpServer, event: string | symbol, ...args: unknown[]) {
    if (event === "request") {
      const req = args[0] as IncomingMessage;
      req.headers[PEER_HEADER] = req.socket.remoteAddress ?? "unknown";
    }
    return emit.apply(this, [event, ...args] as Parameters<typeof emit>);
  } as typeof proto.emit;
}

/**
 * The client's address for per-address limits. Behind `trustedProxies` reverse proxies, each of
 * which appends the address it saw to `X-Forwarded-For`, the client is that many entries from the
 * right; with none, it is the socket's peer. Bounded: a header of any size costs one split.
 */
export function clientAddress(headers: Headers, trustedProxies: number): string {
  if (trustedProxies > 0) {
    const forwarded = (headers.get("x-forwarded-for") ?? "").slice(-1024).split(",");
    const entry = forwarded[forwarded.length - trustedProxies]?.trim();
    if (entry) return entry.slice(0, 64);
  }
  return headers.get(PEER_HEADER)?.slice(0, 64) || "unknown";
}
