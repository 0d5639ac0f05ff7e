import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { schemaSql } from "@oncepay/idempotency/postgres";

describe("schemaSql", () => {
  it("is the text the package ships as sql/schema.sql", () => {
    expect(schemaSql).toBe(readFileSync(new URL("../../sql/schema.sql", import.meta.url), "utf8"));
  });
});
