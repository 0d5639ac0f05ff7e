"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "../../_trpc/client";

const UNAVAILABLE: Record<"no_provider" | "webhooks_disabled" | "unreachable", string> = {
  no_provider: "No provider simulator is configured (PROVIDER_URL).",
  webhooks_disabled: "The simulator delivers no webhooks (PROVIDER_WEBHOOKS=0).",
  unreachable: "The provider simulator does not answer (npm run simulator).",
};

/**
 * The dev toggle for the simulator's webhook chaos mode: every event delivered 1–3 times, some at
 * once, out of order. Switchable only with FAULT_INJECTION on; the Provider panel's figures show
 * what the endpoint made of it.
 */
export function WebhookChaosToggle() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { data } = useQuery({ ...trpc.simulator.chaos.queryOptions(), refetchInterval: 5000 });
  const set = useMutation(
    trpc.simulator.setChaos.mutationOptions({
      onSuccess: (state) => queryClient.setQueryData(trpc.simulator.chaos.queryKey(), state),
    }),
  );
  const hint = !data
    ? "Asking the provider simulator…"
    : !data.available
      ? UNAVAILABLE[data.reason]
      : !data.faultInjection
        ? "Switchable only with FAULT_INJECTION on."
        : set.error
          ? `Not switched: ${set.error.message}`
          : "Each event delivered 1–3 times, some at once, out of order.";
  // While switching, the box shows what was asked for; then what the simulator answered.
  const enabled = set.isPending ? set.variables.enabled : data?.available ? data.enabled : false;
  return (
    <div className="chaos" data-testid="webhook-chaos-toggle">
      <label>
        <input
          type="checkbox"
          data-testid="webhook-chaos"
          checked={enabled}
          disabled={!data?.available || !data.faultInjection || set.isPending}
          aria-describedby="webhook-chaos-hint"
          onChange={(e) => set.mutate({ enabled: e.target.checked })}
        />
        <span>Webhook chaos (duplicates, shuffled)</span>
      </label>
      <p id="webhook-chaos-hint" className="muted small" data-testid="webhook-chaos-hint">
        {hint}
      </p>
    </div>
  );
}
