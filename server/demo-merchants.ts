/**
 * The demo merchants, seeded in demo mode only (`ONCEPAY_DEMO=1`, on for `npm run dev`). Their
 * test-mode keys are public by design: the browser, the tests and the benchmarks all act as them,
 * so this is the one place they are written. No browser module may import this file: the browser
 * gets the publishable keys only, from the server (app/layout.tsx).
 */
export const DEMO_MERCHANTS = [
  { id: "alice", name: "Alice's Apparel", apiKey: "sk_test_alice", publishableKey: "pk_test_alice" },
  { id: "bob", name: "Bob's Books", apiKey: "sk_test_bob", publishableKey: "pk_test_bob" },
] as const;

export type DemoMerchantId = (typeof DEMO_MERCHANTS)[number]["id"];
