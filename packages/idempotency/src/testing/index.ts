export { describeStoreConformance, testClaim, type StoreUnderTest } from "./conformance";
export { MemoryStore, type MemoryTx } from "./memory-store";
