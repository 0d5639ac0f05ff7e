import { type ExecutionContext, IdempotencyEngine, type IdempotencyRecord, type OperationResult, type RunRequest } from "@oncepay/idempotency";
import { MemoryStore, type MemoryTx } from "@oncepay/idempotency/testing";

export const OPTIONS = { ttlSeconds: 3600, lockTimeoutSeconds: 30 };
export const SCOPE = "merchant_alice";
export const OPERATION = "payment.create";

/** An execution that writes one effect and answers 201 with a payment-like body. */
export function payment(label: string, extra: Partial<OperationResult> = {}) {
  const calls: ExecutionContext[] = [];
  const execute = async (tx: MemoryTx, context: ExecutionContext): Promise<OperationResult> => {
    calls.push(context);
    tx.effects.push({ label, execution: context.execution });
    return { status: 201, body: { id: `pay_${label}`, amount: 1000, currency: "usd", note: "é ✓" }, resourceId: `pay_${label}`, ...extra };
  };
  return { execute, calls };
}

/**
 * `payment(label)` held open until `release()`: its key stays in flight meanwhile. `started()`
 * says the engine has got as far as executing it, which a test waits for before sending duplicates.
 */
export function held(label: string) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let started = false;
  const execute = async (tx: MemoryTx, context: ExecutionContext): Promise<OperationResult> => {
    started = true;
    await gate;
    return payment(label).execute(tx, context);
  };
  return { execute, release, started: () => started };
}

export function request(overrides: Partial<RunRequest<MemoryTx>> & Pick<RunRequest<MemoryTx>, "execute">): RunRequest<MemoryTx> {
  return { scope: SCOPE, operation: OPERATION, key: "key-1", fingerprint: "fp-A", ...overrides };
}

export function recordIn(store: MemoryStore, key = "key-1"): IdempotencyRecord {
  const record = store.record(SCOPE, OPERATION, key);
  if (!record) throw new Error(`no record for ${key}`);
  return record;
}

/** A fresh in-memory store and an engine on it, for one test. */
export function freshMemoryEngine(): { store: MemoryStore; engine: IdempotencyEngine<MemoryTx> } {
  const store = new MemoryStore();
  return { store, engine: new IdempotencyEngine(store, OPTIONS) };
}
