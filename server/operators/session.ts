import { hkdfSync } from "node:crypto";
import { sealData, unsealData } from "iron-session";
import { z } from "zod";

/** The operator's session cookie: sealed (encrypted and signed) by iron-session, nothing kept server-side. */
export const SESSION_COOKIE = "oncepay_operator";
export const SESSION_TTL_SECONDS = 12 * 60 * 60;

const sessionSchema = z.object({ operator: z.literal(true), signedInAt: z.number() });

/**
 * The sealing password, derived from the token: changing the token ends every session, and the
 * token itself never leaves this process (a cookie holds nothing it could be recovered from).
 */
export function sessionPassword(token: string): string {
  return Buffer.from(hkdfSync("sha256", token, "oncepay", "oncepay operator session v1", 32)).toString("hex");
}

export function sealSession(password: string, now: number): Promise<string> {
  return sealData({ operator: true, signedInAt: now }, { password, ttl: SESSION_TTL_SECONDS });
}

/** Whether the seal is one of ours, younger than 12 h (iron-session checks its own TTL too). */
export async function validSession(password: string, seal: string, now: number): Promise<boolean> {
  try {
    const parsed = sessionSchema.safeParse(await unsealData(seal, { password, ttl: SESSION_TTL_SECONDS }));
    return parsed.success && now - parsed.data.signedInAt < SESSION_TTL_SECONDS * 1000 && parsed.data.signedInAt <= now + 60_000;
  } catch {
    // A tampered or truncated seal is just no session.
    return false;
  }
}

/** The value of one cookie from a `Cookie` header, or undefined. Bounded: a seal is well under 4 KiB. */
export function readCookie(headers: Headers, name: string): string | undefined {
  const header = headers.get("cookie");
  if (!header) return undefined;
  for (const part of header.slice(0, 16_384).split(";")) {
    const at = part.indexOf("=");
    if (at !== -1 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

/** Whether the request came over https (directly, or as the proxy in front says). */
export function isHttps(request: { url: string; headers: Headers }): boolean {
  const forwarded = request.headers.get("x-forwarded-proto")?.split(",")[0]?.trim().toLowerCase();
  if (forwarded) return forwarded === "https";
  return new URL(request.url).protocol === "https:";
}

/** `Set-Cookie` for a session (or, with value null, for ending one). */
export function sessionCookie(value: string | null, secure: boolean): string {
  const parts = [`${SESSION_COOKIE}=${value ?? ""}`, "Path=/", "HttpOnly", "SameSite=Strict", `Max-Age=${value === null ? 0 : SESSION_TTL_SECONDS}`];
  if (secure) parts.push("Secure");
  return parts.join("; ");
}
