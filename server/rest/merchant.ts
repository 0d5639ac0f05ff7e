import type { App } from "../app";
import type { Merchant } from "../auth/merchant";
import { problem, ProblemError } from "../problem";

/** The merchant of `Authorization: Bearer <api key>`; a ProblemError (401) otherwise, or 429 past the merchant's rate. */
export async function merchantOf(app: App, request: Request): Promise<Merchant> {
  const merchant = await app.auth.authenticate(request.headers.get("authorization"));
  if (!merchant) {
    throw new ProblemError(problem("unauthorized", "A valid API key is required: Authorization: Bearer <api key>."), {
      "www-authenticate": 'Bearer realm="oncepay"',
    });
  }
  await app.limits.admit(merchant.id);
  return merchant;
}
