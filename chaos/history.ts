import type { MerchantName } from "@/fixtures";

/** What a client got: an HTTP status, or no answer at all (the connection failed, it timed out, or the client dropped it on a reload). */
export type Status = number | "network" | "timeout" | "dropped";

export type Via = "rest" | "trpc";

/** A "created" answer: the REST 201, or tRPC's 200 carrying the payment. */
export function created(via: Via, status: Status | null): boolean {
  return status === 201 || (via === "trpc" && status === 200);
}

/** One request, as the client that sent it saw it. */
export interface RequestRecord {
  client: number;
  operation: "payment" | "refund";
  via: Via;
  merchant: MerchantName;
  key: string;
  body: Record<string, unknown>;
  /** `Simulate-Failure`, when the request carried one. */
  fault?: string;
  /** `Prefer`, when the request carried one. */
  prefer?: string;
  status: Status;
  /** The payment's or refund's id in the body (201s only). */
  id?: string;
  /** The body's amount and currency (201s only): what the client was told it paid. */
  amount?: number;
  currency?: string;
  replayed: boolean;
  /** `Preference-Applied: wait=…`: the server waited for the original instead of a 409. */
  waited?: boolean;
  at: number;
  ms: number;
}

/** One checkout attempt or API refund: one key, retried until a final answer, or given up when the run ends. */
export interface AttemptRecord {
  client: number;
  operation: "payment" | "refund";
  via: Via;
  merchant: MerchantName;
  key: string;
  body: Record<string, unknown>;
  /** The final answer's status; null when none came before the run's last deadline. */
  final: number | null;
  id?: string;
  requests: number;
}

/** A refund or dispute made at the provider directly, racing the API's refunds and the webhooks. */
export interface ProviderActionRecord {
  kind: "refund" | "dispute";
  /** A client right after its checkout, or the back office from the provider's list. */
  by: "client" | "back-office";
  paymentId: string;
  paymentIntent: string;
  amount: number;
  /** The provider's object id when it accepted; its error code otherwise. */
  id?: string;
  error?: string;
}

/** Every client's own history: requests, attempts and what they did at the provider. */
export class History {
  readonly requests: RequestRecord[] = [];
  readonly attempts: AttemptRecord[] = [];
  readonly providerActions: ProviderActionRecord[] = [];
  /** Simulate-Failure modes sent, by mode (`delay=…` counted as `delay`). */
  readonly faultHeaders: Record<string, number> = {};

  request(record: RequestRecord): void {
    this.requests.push(record);
    if (record.fault) {
      const mode = record.fault.split("=")[0]!;
      this.faultHeaders[mode] = (this.faultHeaders[mode] ?? 0) + 1;
    }
  }
}
