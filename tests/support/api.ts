import { API_KEYS, newKey, type MerchantName } from "@/fixtures";

export interface HttpResult {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests index into arbitrary JSON
}

export interface PayOptions {
  key?: string | null;
  merchant?: MerchantName | null;
  headers?: Record<string, string>;
}

export function authorization(merchant: MerchantName): string {
  return `Bearer ${API_KEYS[merchant]}`;
}

/** A response read whole: status, headers, the text, and the text as JSON when it is JSON. */
export async function httpResult(res: Response): Promise<HttpResult> {
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, text, body };
}

/** A thin client over real HTTP, as an outside integrator would call the API. */
export function apiClient(baseUrl: string) {
  async function request(path: string, init: RequestInit & { merchant?: MerchantName | null } = {}): Promise<HttpResult> {
    const headers = new Headers(init.headers);
    const merchant = init.merchant === undefined ? "alice" : init.merchant;
    if (merchant) headers.set("authorization", authorization(merchant));
    return httpResult(await fetch(`${baseUrl}${path}`, { ...init, headers }));
  }

  return {
    request,
    /** POST /api/v1/payments with a JSON body (or a raw string sent as is). */
    pay(body: unknown, options: PayOptions = {}): Promise<HttpResult> {
      const headers: Record<string, string> = { "content-type": "application/json", ...options.headers };
      if (options.key !== null) headers["idempotency-key"] = options.key ?? newKey();
      return request("/api/v1/payments", {
        method: "POST",
        merchant: options.merchant,
        headers,
        body: typeof body === "string" ? body : JSON.stringify(body),
      });
    },
    /** Every payment of the merchant (newest first, up to 100). */
    async payments(merchant: MerchantName = "alice") {
      const res = await request("/api/v1/payments?limit=100", { merchant });
      if (res.status !== 200) throw new Error(`list failed: ${res.status} ${res.text}`);
      return res.body.data as { id: string; amount: number; currency: string; status: string; idempotencyKey: string }[];
    },
    async paymentsWithKey(key: string, merchant: MerchantName = "alice") {
      return (await this.payments(merchant)).filter((p) => p.idempotencyKey === key);
    },
    async balance(merchant: MerchantName = "alice", currency = "usd"): Promise<number> {
      const res = await request("/api/v1/balance", { merchant });
      if (res.status !== 200) throw new Error(`balance failed: ${res.status} ${res.text}`);
      const entry = (res.body.available as { currency: string; amount: number }[]).find((b) => b.currency === currency);
      return entry?.amount ?? 0;
    },
  };
}

export type ApiClient = ReturnType<typeof apiClient>;

/** problem+json as the contract fixes it. */
export function expectProblemShape(res: HttpResult, status: number, code: string): void {
  const problems: string[] = [];
  if (res.status !== status) problems.push(`status ${res.status} != ${status}`);
  if (!res.headers.get("content-type")?.startsWith("application/problem+json")) problems.push(`content-type ${res.headers.get("content-type")}`);
  for (const field of ["type", "title", "detail", "code"]) {
    if (typeof res.body?.[field] !== "string") problems.push(`missing ${field}`);
  }
  if (res.body?.status !== status) problems.push(`body.status ${res.body?.status}`);
  if (res.body?.code !== code) problems.push(`code ${res.body?.code} != ${code}`);
  if (problems.length) throw new Error(`not the expected problem (${problems.join(", ")}): ${res.text}`);
}
