import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ClaimRequest, LostOwnershipError } from "@oncepay/idempotency";
import { onPglite, onPostgres, type SqlStoreUnderTest } from "@/tests/support/sql-stores";
import { describeStoreConformance, testClaim } from "@oncepay/idempotency/testing";

// One store, one SQL, two databases: the local PostgreSQL and the embedded PGlite.
describeStoreConformance("PostgresStore on PostgreSQL", onPostgres);
describeStoreConformance("PostgresStore on PGlite", onPglite);

describe.each([
  ["PostgreSQL", onPostgres],
  ["PGlite", onPglite],
] as const)("PostgresStore on %s: a recovery point carried by the completion", (_name, open) => {
  let sut: SqlStoreUnderTest;
  beforeAll(async () => {
    sut = await open();
  });
  afterAll(async () => {
    await sut?.close();
  });
  const request = (key: string, over: Partial<ClaimRequest> = {}): ClaimRequest => testClaim(key, { input: { amount: 1 }, ...over });
  const completion = (marker: string) => ({
    response: { status: 201, headers: {}, body: JSON.stringify({ marker }) },
    resourceId: marker,
    checkpoint: { point: "charged", value: { pi: marker } },
  });

  it("is recorded with the outcome, after the points that committed on their own", async () => {
    const key = randomUUID();
    const claimed = await sut.store.insertOrGet(request(key));
    if (!claimed?.owned) throw new Error("expected the claim");
    await sut.store.checkpoint(claimed.claim, "created", 30, () => Promise.resolve({ id: 1 }));
    await sut.store.executeAndComplete(claimed.claim, 3600, () => Promise.resolve(completion("m1")));
    const held = await sut.store.insertOrGet(request(key));
    expect(held).toMatchObject({ owned: false, record: { state: "completed", recoveryPoint: "charged" } });
  });

  it("a stale owner's completion records nothing, its carried point included", async () => {
    const key = randomUUID();
    const claimed = await sut.store.insertOrGet(request(key, { lockTimeoutSeconds: 1 }));
    if (!claimed?.owned) throw new Error("expected the claim");
    await sut.store.checkpoint(claimed.claim, "created", 0, () => Promise.resolve({ id: 1 }));
    const impostor = { ...claimed.claim, ownerToken: randomUUID() };
    await expect(sut.store.executeAndComplete(impostor, 3600, () => Promise.resolve(completion("m2")))).rejects.toBeInstanceOf(LostOwnershipError);
    const held = await sut.store.insertOrGet(request(key));
    expect(held).toMatchObject({ owned: false, record: { state: "in_progress", recoveryPoint: "created" } });
  });
});
