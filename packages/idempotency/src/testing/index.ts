export { describeStoreConformance, testClaim, type StoreUnderTest } from "./conformance.js";
export { MemoryStore, type MemoryTx } from "./memory-store.js";
