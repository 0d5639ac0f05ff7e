import { describeStoreConformance, MemoryStore } from "@oncepay/idempotency/testing";

// The engine's unit tests trust the fake to behave as the real stores do: it passes what they pass.
describeStoreConformance("MemoryStore (the unit tests' fake)", async () => {
  const store = new MemoryStore();
  return {
    store,
    effect: async (tx, marker) => void tx.effects.push(marker),
    traces: async (marker) => store.committed.filter((effect) => effect === marker).length,
    clock: store,
    close: async () => undefined,
  };
});
