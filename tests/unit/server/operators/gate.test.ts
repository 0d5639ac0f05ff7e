import { FailedAuthentications } from "@/server/auth/failures";
import { RateLimiterMemory } from "rate-limiter-flexible";
import { describe, expect, it } from "vitest";
import { MAX_FAILURES_PER_MINUTE, OperatorGate } from "@/server/operators/gate";
import { PEER_HEADER } from "@/server/http/client-address";
import { SESSION_COOKIE, SESSION_TTL_SECONDS, sealSession, sessionPassword, validSession } from "@/server/operators/session";

const TOKEN = "a-token-of-at-least-sixteen-characters";

function gate(options: { token?: string; demo?: boolean; now?: () => number } = {}) {
  const failures = new FailedAuthentications(new RateLimiterMemory({ points: MAX_FAILURES_PER_MINUTE, duration: 60 }));
  return new OperatorGate({ token: options.token, demo: options.demo ?? false, trustedProxies: 0, failures, now: options.now });
}

const from = (address: string, more: Record<string, string> = {}) => new Headers({ [PEER_HEADER]: address, ...more });

describe("the operator gate", () => {
  it("is open in demo mode without a token, closed without one otherwise, saying what to set", async () => {
    expect(await gate({ demo: true }).authorize(from("1.1.1.1"))).toEqual({ ok: true, via: "open" });
    const closed = await gate().authorize(from("1.1.1.1", { authorization: `Bearer ${TOKEN}` }));
    expect(closed).toMatchObject({
      ok: false,
      problem: { status: 401, code: "operator_unauthorized", detail: expect.stringContaining("ONCEPAY_OPERATOR_TOKEN") as unknown },
    });
    expect(await gate().hasSession(from("1.1.1.1"))).toBe(false);
  });

  it("with a token, even in demo mode, wants the token", async () => {
    const g = gate({ token: TOKEN, demo: true });
    expect(g.mode).toBe("token");
    expect(await g.authorize(from("1.1.1.1"))).toMatchObject({ ok: false, problem: { code: "operator_unauthorized" } });
    expect(await g.authorize(from("1.1.1.1", { authorization: `Bearer ${TOKEN}` }))).toEqual({ ok: true, via: "bearer" });
  });

  it("blocks an address after 10 wrong tokens a minute, the right one included, and no other address", async () => {
    const g = gate({ token: TOKEN });
    for (let i = 0; i < MAX_FAILURES_PER_MINUTE; i++) {
      expect(await g.authorize(from("2.2.2.2", { authorization: "Bearer wrong" }))).toMatchObject({ ok: false, problem: { status: 401 } });
    }
    const blocked = await g.authorize(from("2.2.2.2", { authorization: "Bearer wrong" }));
    expect(blocked).toMatchObject({ ok: false, problem: { status: 429, code: "too_many_failed_authentications" } });
    expect(Number((blocked as { headers: Record<string, string> }).headers["retry-after"])).toBeGreaterThan(0);
    expect(await g.authorize(from("2.2.2.2", { authorization: `Bearer ${TOKEN}` }))).toMatchObject({ ok: false, problem: { status: 429 } });
    expect(await g.signIn(TOKEN, from("2.2.2.2"))).toMatchObject({ ok: false, problem: { status: 429 } });
    expect(await g.authorize(from("3.3.3.3", { authorization: `Bearer ${TOKEN}` }))).toEqual({ ok: true, via: "bearer" });
  });

  it("signs in with a sealed cookie that opens the gate for 12 h, and only under the token that sealed it", async () => {
    let now = Date.UTC(2026, 0, 1);
    const g = gate({ token: TOKEN, now: () => now });
    const signedIn = await g.signIn(TOKEN, from("4.4.4.4"));
    expect(signedIn.ok).toBe(true);
    const seal = (signedIn as { seal: string }).seal;
    expect(seal).not.toContain(TOKEN);
    const cookie = from("4.4.4.4", { cookie: `other=1; ${SESSION_COOKIE}=${seal}` });
    expect(await g.authorize(cookie)).toEqual({ ok: true, via: "cookie" });
    expect(await g.hasSession(cookie)).toBe(true);
    // Another token (the operator changed it) ends every session.
    expect(await gate({ token: `${TOKEN}-rotated`, now: () => now }).hasSession(cookie)).toBe(false);
    now += SESSION_TTL_SECONDS * 1000 + 1;
    expect(await g.hasSession(cookie)).toBe(false);
  });

  it("takes no forged or foreign seal for a session", async () => {
    const password = sessionPassword(TOKEN);
    const now = Date.now();
    expect(await validSession(password, "garbage", now)).toBe(false);
    expect(await validSession(password, "", now)).toBe(false);
    expect(await validSession(sessionPassword("another-token-0123456789"), await sealSession(password, now), now)).toBe(false);
    expect(await validSession(password, await sealSession(password, now), now)).toBe(true);
  });
});
