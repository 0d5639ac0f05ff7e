import { problem, type Problem } from "../problem";

/** The origin the request was addressed to: the proxy's forwarded host and scheme, else Host and the URL's. */
export function ownOrigin(request: Request): string | null {
  const first = (name: string) => request.headers.get(name)?.split(",")[0]?.trim() || undefined;
  const url = new URL(request.url);
  const host = first("x-forwarded-host") ?? first("host") ?? url.host;
  const proto = first("x-forwarded-proto") ?? url.protocol.replace(/:$/, "");
  try {
    return new URL(`${proto}://${host}`).origin;
  } catch {
    return null;
  }
}

/**
 * CSRF: a state-changing request a browser sent on another site's behalf is refused. Browsers say
 * where a request comes from (`Origin` on every POST, `Sec-Fetch-Site` in current ones); a page can
 * forge neither. Programs send neither and pass: they hold their credentials themselves.
 */
export function crossSiteProblem(request: Request): Problem | null {
  const origin = request.headers.get("origin");
  if (origin !== null) {
    let sent: string | null;
    try {
      sent = new URL(origin).origin;
    } catch {
      sent = null; // "null" (sandboxed frames, file:) and garbage: from nowhere we trust
    }
    if (sent === null || sent === "null" || sent !== ownOrigin(request)) {
      return problem("cross_site_request", "Cross-site request refused: its Origin is not this site's.");
    }
  }
  const site = request.headers.get("sec-fetch-site");
  if (site !== null && site !== "same-origin" && site !== "none") {
    return problem("cross_site_request", `Cross-site request refused (Sec-Fetch-Site: ${site.slice(0, 32)}).`);
  }
  return null;
}

/** A JSON body only: HTML forms cannot send one, so a form on another site cannot reach us (and a body is parsed one way). */
export function jsonOnlyProblem(request: Request): Problem | null {
  const type = request.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase();
  return type === "application/json" ? null : problem("unsupported_media_type", "The request body must be JSON: Content-Type: application/json.");
}
