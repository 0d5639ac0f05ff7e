import { describe, expect, it } from "vitest";
import { crossSiteProblem, jsonOnlyProblem, ownOrigin } from "@/server/http/same-origin";

const post = (headers: Record<string, string>, url = "http://127.0.0.1:3000/api/trpc/events.rebuild") => new Request(url, { method: "POST", headers });

describe("the same-origin check", () => {
  it("passes programs (no Origin, no Sec-Fetch-Site) and the site's own pages", () => {
    expect(crossSiteProblem(post({ host: "127.0.0.1:3000" }))).toBeNull();
    expect(crossSiteProblem(post({ host: "127.0.0.1:3000", origin: "http://127.0.0.1:3000", "sec-fetch-site": "same-origin" }))).toBeNull();
    expect(crossSiteProblem(post({ host: "127.0.0.1:3000", "sec-fetch-site": "none" }))).toBeNull();
  });

  it("refuses another origin, a null one, and a browser that says cross-site or same-site", () => {
    const foreign: Record<string, string>[] = [
      { origin: "http://127.0.0.1:4000" },
      { origin: "null" },
      { origin: "http://evil.example" },
      { "sec-fetch-site": "cross-site" },
      { "sec-fetch-site": "same-site" },
    ];
    for (const headers of foreign) {
      expect(crossSiteProblem(post({ host: "127.0.0.1:3000", ...headers }))?.code).toBe("cross_site_request");
    }
  });

  it("knows its own origin behind a proxy from X-Forwarded-Host and -Proto", () => {
    const behind = post({ host: "10.0.0.5:3000", "x-forwarded-host": "pay.example.com", "x-forwarded-proto": "https" });
    expect(ownOrigin(behind)).toBe("https://pay.example.com");
    expect(
      crossSiteProblem(post({ host: "10.0.0.5:3000", "x-forwarded-host": "pay.example.com", "x-forwarded-proto": "https", origin: "https://pay.example.com" })),
    ).toBeNull();
    expect(
      crossSiteProblem(post({ host: "10.0.0.5:3000", "x-forwarded-host": "pay.example.com", "x-forwarded-proto": "https", origin: "http://pay.example.com" })),
    ).not.toBeNull();
  });

  it("takes JSON bodies only", () => {
    expect(jsonOnlyProblem(post({ "content-type": "application/json" }))).toBeNull();
    expect(jsonOnlyProblem(post({ "content-type": "Application/JSON; charset=utf-8" }))).toBeNull();
    for (const type of ["text/plain", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "application/json-seq"]) {
      expect(jsonOnlyProblem(post({ "content-type": type }))?.code).toBe("unsupported_media_type");
    }
    expect(jsonOnlyProblem(post({}))?.code).toBe("unsupported_media_type");
  });
});
