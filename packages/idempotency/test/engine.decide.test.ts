import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { decide, type Decision, type IdempotencyRecord, RecordState } from "@oncepay/idempotency";
import { OPERATION, SCOPE } from "./support/engine-calls";

describe("decide", () => {
  /** The expected table, written out by hand: [state, same fingerprint, leaseExpired, expired] → decision. */
  const table: [RecordState, boolean, boolean, boolean, Decision][] = [
    [RecordState.Completed, true, false, false, "replay"],
    [RecordState.Completed, true, false, true, "expired"],
    [RecordState.Completed, true, true, false, "replay"],
    [RecordState.Completed, true, true, true, "expired"],
    [RecordState.Completed, false, false, false, "mismatch"],
    [RecordState.Completed, false, false, true, "expired"],
    [RecordState.Completed, false, true, false, "mismatch"],
    [RecordState.Completed, false, true, true, "expired"],
    [RecordState.Released, true, false, false, "take_over"],
    [RecordState.Released, true, false, true, "expired"],
    [RecordState.Released, true, true, false, "take_over"],
    [RecordState.Released, true, true, true, "expired"],
    [RecordState.Released, false, false, false, "take_over"],
    [RecordState.Released, false, false, true, "expired"],
    [RecordState.Released, false, true, false, "take_over"],
    [RecordState.Released, false, true, true, "expired"],
    [RecordState.InProgress, true, false, false, "conflict"],
    [RecordState.InProgress, true, false, true, "conflict"],
    [RecordState.InProgress, true, true, false, "take_over"],
    [RecordState.InProgress, true, true, true, "expired"],
    [RecordState.InProgress, false, false, false, "mismatch"],
    [RecordState.InProgress, false, false, true, "mismatch"],
    [RecordState.InProgress, false, true, false, "mismatch"],
    [RecordState.InProgress, false, true, true, "expired"],
  ];

  it.each(table)("%s, same fingerprint %s, leaseExpired %s, expired %s → %s", (state, same, leaseExpired, expired, decision) => {
    const record: IdempotencyRecord = {
      id: "rec-1",
      scope: SCOPE,
      operation: OPERATION,
      key: "key-1",
      fingerprint: "fp-A",
      state,
      ownerToken: state === RecordState.InProgress ? randomUUID() : null,
      executions: 1,
      response: state === RecordState.Completed ? { status: 201, headers: {}, body: "{}" } : null,
      resourceId: null,
      recoveryPoint: null,
      expiresInMs: expired ? -1 : 1000,
      leaseExpired,
      expired,
    };
    expect(decide(record, same ? "fp-A" : "fp-B")).toBe(decision);
  });

  it("keeps a released key that is past a recovery point for the same request only", () => {
    const released: IdempotencyRecord = {
      id: "rec-2",
      scope: SCOPE,
      operation: OPERATION,
      key: "key-2",
      fingerprint: "fp-A",
      state: RecordState.Released,
      ownerToken: null,
      executions: 1,
      response: null,
      resourceId: null,
      recoveryPoint: "charged",
      expiresInMs: 1000,
      leaseExpired: false,
      expired: false,
    };
    expect(decide(released, "fp-A")).toBe("take_over");
    expect(decide(released, "fp-B")).toBe("mismatch");
    // Past retention too: its charge may exist under a provider key derived from this record, so
    // only this record may finish it; a fresh record would charge again under a new key.
    const expired = { ...released, expired: true, expiresInMs: -1 };
    expect(decide(expired, "fp-A")).toBe("take_over");
    expect(decide(expired, "fp-B")).toBe("mismatch");
    expect(decide({ ...expired, state: RecordState.InProgress, leaseExpired: true }, "fp-A")).toBe("take_over");
    // Settled, it is an ordinary expired key again.
    expect(decide({ ...expired, state: RecordState.Completed, response: { status: 201, headers: {}, body: "{}" } }, "fp-B")).toBe("expired");
  });
});
