import type { App } from "../app";
import { requireAccess, type Merchant } from "../auth/merchant";
import { clientAddress } from "../http/client-address";

/**
 * The merchant of `Authorization: Bearer <api key>`; a ProblemError otherwise (401, 429 after too
 * many failures from the address or past the merchant's rate, 403 `secret_key_required` for a publishable key on a route not
 * marked `publishable`: only the checkout's routes are).
 */
export async function merchantOf(app: App, request: Request, access: { publishable?: boolean } = {}): Promise<Merchant> {
  const principal = await app.auth.authenticate(request.headers.get("authorization"), clientAddress(request.headers, app.config.TRUSTED_PROXIES));
  const merchant = requireAccess(principal, access);
  await app.limits.admit(merchant.id);
  return merchant;
}
