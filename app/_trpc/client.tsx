"use client";

import { QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import { createContext, useContext, useState, type ReactNode } from "react";
import type { AppRouter } from "@/server/trpc/routers/_app";
import { apiKeyOf, type DemoMerchantId } from "./merchants";
import { makeQueryClient } from "./query-client";

export const { TRPCProvider, useTRPC } = createTRPCContext<AppRouter>();

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
        httpBatchLink({
          url: "/api/trpc",
          headers: () => ({ authorization: `Bearer ${apiKeyOf(activeMerchant)}` }),
        }),
      ],
    }),
  );
  const setMerchant = (m: DemoMerchantId) => {
    activeMerchant = m;
    setMerchantState(m);
    void queryClient.invalidateQueries();
  };
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        <MerchantContext.Provider value={{ merchant, setMerchant }}>{children}</MerchantContext.Provider>
      </TRPCProvider>
    </QueryClientProvider>
  );
}
