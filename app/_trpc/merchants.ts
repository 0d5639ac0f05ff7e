/** The demo merchants the browser can act as; their test-mode keys are public by design. */
export const DEMO_MERCHANTS = [
  { id: "alice", name: "Alice's Apparel", apiKey: "sk_test_alice" },
  { id: "bob", name: "Bob's Books", apiKey: "sk_test_bob" },
] as const;

export type DemoMerchantId = (typeof DEMO_MERCHANTS)[number]["id"];

export function apiKeyOf(id: DemoMerchantId): string {
  return DEMO_MERCHANTS.find((m) => m.id === id)?.apiKey ?? DEMO_MERCHANTS[0].apiKey;
}

export function isDemoMerchant(id: string): id is DemoMerchantId {
  return DEMO_MERCHANTS.some((m) => m.id === id);
}
