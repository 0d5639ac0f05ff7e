"use client";

import { formatMoney, MAX_QUANTITY, PRODUCTS, type Cart, type Currency } from "../_checkout/catalog";

export function Shop({ cart, currency, locked, onChange }: { cart: Cart; currency: Currency; locked: boolean; onChange: (cart: Cart) => void }) {
  const set = (id: string, quantity: number) => onChange({ ...cart, [id]: Math.max(0, Math.min(MAX_QUANTITY, quantity)) });
  return (
    <ul className="products" aria-label="Products">
      {PRODUCTS.map((p) => {
        const quantity = cart[p.id] ?? 0;
        return (
          <li key={p.id} className="product" data-testid={`product-${p.id}`}>
            <div>
              <strong>{p.name}</strong>
              <span className="muted">{p.blurb}</span>
            </div>
            <span className="price">{formatMoney(p.price[currency], currency)}</span>
            <div className="stepper" role="group" aria-label={`Quantity of ${p.name}`}>
              <button type="button" aria-label={`Remove one ${p.name}`} disabled={locked || quantity === 0} onClick={() => set(p.id, quantity - 1)}>
                −
              </button>
              <output aria-live="polite" data-testid={`quantity-${p.id}`}>
                {quantity}
              </output>
              <button type="button" aria-label={`Add one ${p.name}`} disabled={locked || quantity === MAX_QUANTITY} onClick={() => set(p.id, quantity + 1)}>
                +
              </button>
            </div>
          </li>
        );
      })}
    </ul>
  );
}
