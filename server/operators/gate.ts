import { createHash, timingSafeEqual } from "node:crypto";
import type { FailedAuthentications } from "../auth/failures";
import { clientAddress } from "../http/client-address";
import { problem, type Problem } from "../problem";
import { readCookie, sealSession, SESSION_COOKIE, sessionPassword, validSession } from "./session";

/** How operator surfaces are reached: with the token; open (demo mode, no token); or not at all. */
export type OperatorMode = "token" | "demo" | "closed";

export type OperatorAccess = { ok: true; via: "cookie" | "bearer" | "open" } | { ok: false; problem: Problem; headers: Record<string, string> };

export type SignIn = { ok: true; seal: string } | { ok: false; problem: Problem; headers: Record<string, string> };

/** Wrong tries a minute one address gets before 429 (contract: "Operators"). */
export const MAX_FAILURES_PER_MINUTE = 10;

export interface OperatorGateOptions {
  token: string | undefined;
  demo: boolean;
  trustedProxies: number;
  /** Wrong tries per address: `MAX_FAILURES_PER_MINUTE` a minute. */
  failures: FailedAuthentications;
  now?: () => number;
}

const CLOSED_DETAIL =
  "Operator access is closed: no operator token is configured. Set ONCEPAY_OPERATOR_TOKEN on the server, then sign in at /login or send Authorization: Bearer <operator token>.";
const REQUIRED_DETAIL = "Operator access requires a session (sign in at /login) or Authorization: Bearer <operator token>.";

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

/**
 * Who may use the operator surfaces (the dashboard, its procedures, /api/metrics, the operator
 * commands): the decision, in one place. Wrong tokens are counted per client address, as wrong API
 * keys are (FailedAuthentications): an address over the limit is refused from memory alone, so the
 * right token does not help it guess and a request that authenticates pays no round trip.
 */
export class OperatorGate {
  readonly mode: OperatorMode;
  private readonly password: string | null;
  private readonly tokenDigest: Buffer | null;
  private readonly now: () => number;

  constructor(private readonly options: OperatorGateOptions) {
    this.mode = options.token ? "token" : options.demo ? "demo" : "closed";
    this.password = options.token ? sessionPassword(options.token) : null;
    this.tokenDigest = options.token ? digest(options.token) : null;
    this.now = options.now ?? Date.now;
  }

  /** For procedures and /api/metrics: a valid session cookie, or the token as a bearer token. */
  async authorize(headers: Headers): Promise<OperatorAccess> {
    if (this.mode === "demo") return { ok: true, via: "open" };
    if (this.mode === "closed") return this.refuse(CLOSED_DETAIL);
    if (await this.hasSession(headers)) return { ok: true, via: "cookie" };
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(headers.get("authorization") ?? "")?.[1];
    if (bearer === undefined) return this.refuse(REQUIRED_DETAIL);
    const tried = await this.attempt(bearer, headers);
    return tried.ok ? { ok: true, via: "bearer" } : tried;
  }

  /** For pages: open in demo mode, otherwise a valid session cookie. Never counts a try. */
  async hasSession(headers: Headers): Promise<boolean> {
    if (this.mode === "demo") return true;
    const seal = readCookie(headers, SESSION_COOKIE);
    return this.password !== null && seal !== undefined && (await validSession(this.password, seal, this.now()));
  }

  /** `/login`: the token in, a sealed session out. */
  async signIn(token: string, headers: Headers): Promise<SignIn> {
    if (this.mode !== "token") {
      return this.refuse(this.mode === "demo" ? "No operator token is configured (demo mode): the operator pages are open without signing in." : CLOSED_DETAIL);
    }
    const tried = await this.attempt(token, headers);
    return tried.ok ? { ok: true, seal: await sealSession(this.password!, this.now()) } : tried;
  }

  private async attempt(token: string, headers: Headers): Promise<{ ok: true } | { ok: false; problem: Problem; headers: Record<string, string> }> {
    const address = clientAddress(headers, this.options.trustedProxies);
    const wait = this.options.failures.retryAfterSeconds(address);
    if (wait > 0) return tooMany(wait);
    // Digests of equal length: the comparison takes as long whatever the token's length or content.
    if (timingSafeEqual(digest(token), this.tokenDigest!)) return { ok: true };
    // The try that spends the allowance blocks the address: the next one is refused unread.
    await this.options.failures.failed(address);
    return this.refuse("The operator token is wrong.");
  }

  private refuse(detail: string): { ok: false; problem: Problem; headers: Record<string, string> } {
    return { ok: false, problem: problem("operator_unauthorized", detail), headers: { "www-authenticate": 'Bearer realm="oncepay-operators"' } };
  }
}

function tooMany(seconds: number): { ok: false; problem: Problem; headers: Record<string, string> } {
  return {
    ok: false,
    problem: problem("too_many_failed_authentications", `Too many wrong operator tokens from this address; retry in ${seconds} s.`, {
      retryAfterSeconds: seconds,
    }),
    headers: { "retry-after": String(seconds) },
  };
}
