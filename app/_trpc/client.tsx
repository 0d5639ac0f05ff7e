"use client";

import { QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink, httpLink, splitLink } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from "react";
import type { CheckoutMerchant } from "@/server/checkout-merchants";
import type { AppRouter } from "@/server/trpc/routers/_app";
import { browserDropLink, faultHeaders } from "./fault-link";

const MERCHANT_STORAGE_KEY = "oncepay.merchant";
/** How long a checkout's payment waits for a copy of itself already in flight (contract: "Waiting instead of 409"). */
const CHECKOUT_WAIT_SECONDS = 10;
import { makeQueryClient } from "./query-client";

/**
 * The operators' procedures: their credential is the session cookie, never a merchant's key (which
 * the server would count as a wrong operator token).
 */
function isOperatorPath(path: string): boolean {
  return /^(dashboard|events|simulator)\./.test(path);
}

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

export type { CheckoutMerchant };

const MerchantContext = createContext<{ merchants: CheckoutMerchant[]; merchant: string; setMerchant: (id: string) => void }>({
  merchants: [],
  merchant: "",
  setMerchant: () => undefined,
});

/** The merchants the checkout may act as (from the server), and the one it acts as (default: the first). */
export function useMerchant() {
  return useContext(MerchantContext);
}

/** The browser's only credential: the chosen merchant's publishable key (none when no merchant has one). */
function authorization(merchant: CheckoutMerchant | undefined): Record<string, string> {
  return merchant ? { authorization: `Bearer ${merchant.publishableKey}` } : {};
}

export function Providers({ merchants, children }: { merchants: CheckoutMerchant[]; children: ReactNode }) {
  const [queryClient] = useState(makeQueryClient);
  const [merchant, setMerchantState] = useState<string>(merchants[0]?.id ?? "");
  // Read by the link on every request, so switching merchant needs no new client.
  const active = useRef<CheckoutMerchant | undefined>(merchants[0]);
  const [trpcClient] = useState(() =>
    createTRPCClient<AppRouter>({
      links: [
        browserDropLink,
        // Mutations go one per request, so a fault header applies to exactly one call.
        splitLink({
          condition: (op) => op.type === "mutation",
          true: httpLink({
            url: "/api/trpc",
            headers: ({ op }) => ({
              ...(!isOperatorPath(op.path) && authorization(active.current)),
              // A double click or a second tab holding the same attempt waits for the first and gets its outcome, not a 409.
              ...(op.path === "payment.create" && { prefer: `wait=${CHECKOUT_WAIT_SECONDS}` }),
              ...faultHeaders(op.context),
            }),
          }),
          false: httpBatchLink({
            url: "/api/trpc",
            // No page mixes the two kinds in one batch: operator calls carry the session cookie only.
            headers: ({ opList }) => (opList.every((op) => isOperatorPath(op.path)) ? {} : authorization(active.current)),
            // The server refuses a batch of more than 20 calls (server/trpc/limits.ts).
            maxItems: 20,
          }),
        }),
      ],
    }),
  );
  const choose = (id: string): boolean => {
    const found = merchants.find((m) => m.id === id);
    if (!found) return false;
    active.current = found;
    setMerchantState(id);
    return true;
  };
  const setMerchant = (id: string) => {
    if (!choose(id)) return;
    localStorage.setItem(MERCHANT_STORAGE_KEY, id);
    void queryClient.invalidateQueries();
  };
  // The merchant survives a reload: an unfinished attempt must be retried as the same merchant.
  useEffect(() => {
    const stored = localStorage.getItem(MERCHANT_STORAGE_KEY);
    if (stored && stored !== active.current?.id && choose(stored)) void queryClient.invalidateQueries();
    // Once, on mount: the list is the server's and does not change while the page lives.
  }, [queryClient]);
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        <MerchantContext.Provider value={{ merchants, merchant, setMerchant }}>{children}</MerchantContext.Provider>
      </TRPCProvider>
    </QueryClientProvider>
  );
}
