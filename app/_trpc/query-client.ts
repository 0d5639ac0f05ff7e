import { QueryClient } from "@tanstack/react-query";

export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { staleTime: 1_000 },
      // Mutations are retried by the checkout itself, with the same idempotency key.
      mutations: { retry: false },
    },
  });
}
