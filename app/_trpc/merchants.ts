import { DEMO_MERCHANTS, type DemoMerchantId } from "@/server/demo-merchants";

// The browser acts as the same merchants the server seeds, from the same definition.
export { DEMO_MERCHANTS, type DemoMerchantId };

export function apiKeyOf(id: DemoMerchantId): string {
  return DEMO_MERCHANTS.find((m) => m.id === id)?.apiKey ?? DEMO_MERCHANTS[0].apiKey;
}

export function isDemoMerchant(id: string): id is DemoMerchantId {
  return DEMO_MERCHANTS.some((m) => m.id === id);
}
