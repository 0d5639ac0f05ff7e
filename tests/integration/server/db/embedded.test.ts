import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { newKey } from "@/fixtures";
import { apiClient } from "@/tests/support/api";
import { startServer, type ServerProcess } from "@/fixtures/server-process";

describe("the embedded database", () => {
  // Stopped here rather than in the test, so a test that times out leaves no server behind.
  const started: ServerProcess[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.stop()));
  });

  // Two cold starts of PGlite (WebAssembly) on a shared 2-core machine take most of a minute.
  it("the embedded database keeps payments and replays across a restart", { timeout: 180_000 }, async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "oncepay-restart-"));
    const key = newKey();
    const first = await startServer({ dataDir });
    started.push(first);
    const created = await apiClient(first.url).pay({ amount: 999, currency: "eur" }, { key });
    await first.stop();
    const second = await startServer({ dataDir });
    started.push(second);
    const again = await apiClient(second.url).pay({ amount: 999, currency: "eur" }, { key });
    expect(again.text).toBe(created.text);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
  });
});
