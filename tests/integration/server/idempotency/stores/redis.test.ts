import { inject } from "vitest";
import { behindRedis } from "@/tests/support/sql-stores";
import { describeStoreConformance } from "@oncepay/idempotency/testing";

// The fast path answers for the store behind it, so it owes the engine the same contract.
describeStoreConformance("RedisFastPath in front of PostgresStore", () => behindRedis(inject("redisUrl")));
