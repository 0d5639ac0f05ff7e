import { describe, expect, it } from "vitest";
import { startServer } from "@/fixtures/server-process";

/** Settings that could charge twice together stop the server before it listens (contract: "Retention"). */
describe("the server's configuration", () => {
  it.each([
    [
      "a TTL below twice the lock timeout",
      { IDEMPOTENCY_TTL_SECONDS: "50", IDEMPOTENCY_LOCK_TIMEOUT_SECONDS: "30", PROCESSING_TIMEOUT_SECONDS: "30" },
      /IDEMPOTENCY_TTL_SECONDS \(50\) must be at least/,
    ],
    [
      "a TTL below twice the processing timeout (the default 900 s)",
      { IDEMPOTENCY_TTL_SECONDS: "1000" },
      /IDEMPOTENCY_TTL_SECONDS \(1000\) must be at least 2 × .* = 1800/,
    ],
    [
      "a processing timeout below the lock timeout",
      { IDEMPOTENCY_TTL_SECONDS: "100", IDEMPOTENCY_LOCK_TIMEOUT_SECONDS: "30", PROCESSING_TIMEOUT_SECONDS: "10" },
      /PROCESSING_TIMEOUT_SECONDS \(10\) must be at least/,
    ],
  ])("refuses to start with %s, saying why", async (_what, env, message) => {
    const refused = startServer({ env });
    await expect(refused).rejects.toThrow(message);
    await expect(refused).rejects.toThrow(/refuses to start/);
  });

  it("starts with the least TTL it allows", async () => {
    const server = await startServer({ env: { IDEMPOTENCY_TTL_SECONDS: "60", IDEMPOTENCY_LOCK_TIMEOUT_SECONDS: "30", PROCESSING_TIMEOUT_SECONDS: "30" } });
    await server.stop();
  });
});
