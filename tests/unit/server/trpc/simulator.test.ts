import http from "node:http";
import type { AddressInfo } from "node:net";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "@/server/app";
import { createContext } from "@/server/trpc/context";
import { createCallerFactory } from "@/server/trpc/init";
import { simulatorRouter } from "@/server/trpc/routers/simulator";
import { OperatorGate } from "@/server/operators/gate";
import { RateLimiterMemory } from "rate-limiter-flexible";
import { FailedAuthentications } from "@/server/auth/failures";

/** Operators' procedures: in demo mode without a token anyone may call them; with no token otherwise, nobody. */
const gate = (demo: boolean) =>
  new OperatorGate({
    token: undefined,
    demo,
    trustedProxies: 0,
    failures: new FailedAuthentications(new RateLimiterMemory({ points: 10, duration: 60 })),
  });

// The dev toggle against a stand-in simulator: only the chaos endpoint, and what it answers.
describe("simulator.chaos / simulator.setChaos", () => {
  let enabled = false;
  let answer: "ok" | "disabled" | "garbage" = "ok";
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      res.setHeader("content-type", "application/json");
      if (req.url !== "/_simulator/webhooks/chaos") return res.writeHead(404).end("{}");
      if (answer === "disabled")
        return res.writeHead(400).end(JSON.stringify({ error: { type: "invalid_request_error", code: "webhooks_disabled", message: "off" } }));
      if (answer === "garbage") return res.writeHead(200).end(JSON.stringify({ enabled: "maybe" }));
      if (req.method === "POST") enabled = (JSON.parse(body) as { enabled: boolean }).enabled;
      res.writeHead(200).end(JSON.stringify({ enabled }));
    });
  });
  let url = "";
  const caller = (ctx: { providerUrl?: string | null; faultInjection?: boolean; demo?: boolean }) =>
    createCallerFactory(simulatorRouter)(
      createContext({
        headers: new Headers(),
        // Only what these procedures read of the app: its configuration and the operator gate.
        app: {
          config: {
            PROVIDER_URL: ctx.providerUrl === null ? undefined : (ctx.providerUrl ?? url),
            FAULT_INJECTION: ctx.faultInjection ?? true,
            TRUSTED_PROXIES: 0,
          },
          operators: gate(ctx.demo ?? true),
        } as unknown as App,
      }),
    );

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("reads and switches the simulator's chaos mode", async () => {
    answer = "ok";
    expect(await caller({}).chaos()).toEqual({ available: true, enabled: false, faultInjection: true });
    expect(await caller({}).setChaos({ enabled: true })).toEqual({ available: true, enabled: true, faultInjection: true });
    expect(enabled).toBe(true);
    expect(await caller({}).setChaos({ enabled: false })).toMatchObject({ enabled: false });
  });

  it("refuses to switch without FAULT_INJECTION, and says so when read", async () => {
    answer = "ok";
    expect(await caller({ faultInjection: false }).chaos()).toMatchObject({ available: true, faultInjection: false });
    const error = await caller({ faultInjection: false })
      .setChaos({ enabled: true })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TRPCError);
    expect((error as TRPCError).code).toBe("FORBIDDEN");
    expect(enabled).toBe(false);
  });

  it("is for operators only: closed without a token outside demo mode", async () => {
    answer = "ok";
    for (const call of [caller({ demo: false }).chaos(), caller({ demo: false }).setChaos({ enabled: true })]) {
      const error = await call.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TRPCError);
      expect((error as TRPCError).code).toBe("UNAUTHORIZED");
    }
    expect(enabled).toBe(false);
  });

  it("is unavailable, never an error, without a simulator, with its webhooks off, or with an answer it does not understand", async () => {
    answer = "disabled";
    expect(await caller({}).chaos()).toMatchObject({ available: false, reason: "webhooks_disabled" });
    expect(await caller({}).setChaos({ enabled: true })).toMatchObject({ available: false, reason: "webhooks_disabled" });
    answer = "garbage";
    expect(await caller({}).chaos()).toMatchObject({ available: false, reason: "unreachable" });
    expect(await caller({ providerUrl: null }).chaos()).toMatchObject({
      available: false,
      reason: "no_provider",
    });
    // Nothing listens there.
    expect(await caller({ providerUrl: "http://127.0.0.1:1" }).chaos()).toMatchObject({ available: false, reason: "unreachable" });
  });
});
