import { CURRENCIES, type Currency } from "@/server/payments/schema";

export { CURRENCIES, type Currency };

export interface Product {
  id: string;
  name: string;
  blurb: string;
  /** Minor units per currency (yen has none). */
  price: Record<Currency, number>;
}

export const PRODUCTS: Product[] = [
  { id: "tee", name: "Exactly-once tee", blurb: "Organic cotton, printed once.", price: { usd: 2500, eur: 2300, gbp: 2000, jpy: 3800 } },
  { id: "mug", name: "Retry-safe mug", blurb: "Survives any number of refills.", price: { usd: 1400, eur: 1300, gbp: 1100, jpy: 2100 } },
  { id: "stickers", name: "Idempotency stickers", blurb: "Five stickers, one key each.", price: { usd: 450, eur: 400, gbp: 350, jpy: 700 } },
];

export type Cart = Record<string, number>;

export const MAX_QUANTITY = 9;

export function cartTotal(cart: Cart, currency: Currency): number {
  return PRODUCTS.reduce((sum, p) => sum + (cart[p.id] ?? 0) * p.price[currency], 0);
}

export function cartCount(cart: Cart): number {
  return Object.values(cart).reduce((a, b) => a + b, 0);
}

export function cartDescription(cart: Cart): string {
  return PRODUCTS.filter((p) => (cart[p.id] ?? 0) > 0)
    .map((p) => `${cart[p.id]}× ${p.name}`)
    .join(", ");
}

const DIGITS: Record<Currency, number> = { usd: 2, eur: 2, gbp: 2, jpy: 0 };

/** Minor units as money: 2500 usd → "$25.00", 3800 jpy → "¥3,800". */
export function formatMoney(amount: number, currency: string): string {
  const digits = DIGITS[currency as Currency] ?? 2;
  return new Intl.NumberFormat("en-US", { style: "currency", currency: currency.toUpperCase() }).format(amount / 10 ** digits);
}
