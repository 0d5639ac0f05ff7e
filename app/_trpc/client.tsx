"use client";

import { QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink, httpLink, splitLink } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import { createContext, useContext, useEffect, useState, type ReactNode } from "react";
import type { AppRouter } from "@/server/trpc/routers/_app";
import { browserDropLink, faultHeaders } from "./fault-link";
import { apiKeyOf, isDemoMerchant, type DemoMerchantId } from "./merchants";

const MERCHANT_STORAGE_KEY = "oncepay.merchant";
/** How long a checkout's payment waits for a copy of itself already in flight (contract: "Waiting instead of 409"). */
const CHECKOUT_WAIT_SECONDS = 10;
import { makeQueryClient } from "./query-client";

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

const MerchantContext = createContext<{ merchant: DemoMerchantId; setMerchant: (m: DemoMerchantId) => void }>({
  merchant: "alice",
  setMerchant: () => undefined,
});

export function useMerchant() {
  return useContext(MerchantContext);
}

// Read by the link on every request, so switching merchant needs no new client.
let activeMerchant: DemoMerchantId = "alice";

export function Providers({ children }: { children: ReactNode }) {
  const [queryClient] = useState(makeQueryClient);
  const [merchant, setMerchantState] = useState<DemoMerchantId>("alice");
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
              authorization: `Bearer ${apiKeyOf(activeMerchant)}`,
              // A double click or a second tab holding the same attempt waits for the first and gets its outcome, not a 409.
              ...(op.path === "payment.create" && { prefer: `wait=${CHECKOUT_WAIT_SECONDS}` }),
              ...faultHeaders(op.context),
            }),
          }),
          false: httpBatchLink({
            url: "/api/trpc",
            // The server refuses a batch of more than 20 calls (server/trpc/limits.ts).
            maxItems: 20,
            headers: () => ({ authorization: `Bearer ${apiKeyOf(activeMerchant)}` }),
          }),
        }),
      ],
    }),
  );
  const setMerchant = (m: DemoMerchantId) => {
    activeMerchant = m;
    setMerchantState(m);
    localStorage.setItem(MERCHANT_STORAGE_KEY, m);
    void queryClient.invalidateQueries();
  };
  // The merchant survives a reload: an unfinished attempt must be retried as the same merchant.
  useEffect(() => {
    const stored = localStorage.getItem(MERCHANT_STORAGE_KEY);
    if (stored && isDemoMerchant(stored) && stored !== activeMerchant) {
      activeMerchant = stored;
      setMerchantState(stored);
      void queryClient.invalidateQueries();
    }
  }, [queryClient]);
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        <MerchantContext.Provider value={{ merchant, setMerchant }}>{children}</MerchantContext.Provider>
      </TRPCProvider>
    </QueryClientProvider>
  );
}
