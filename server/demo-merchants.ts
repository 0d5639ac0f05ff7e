/**
 * The demo merchants, seeded on every start. Their test-mode keys are public by design: the
 * browser, the tests and the benchmarks all act as them, so this is the one place they are written.
 */
export const DEMO_MERCHANTS = [
  { id: "alice", name: "Alice's Apparel", apiKey: "sk_test_alice" },
  { id: "bob", name: "Bob's Books", apiKey: "sk_test_bob" },
] as const;

export type DemoMerchantId = (typeof DEMO_MERCHANTS)[number]["id"];
