import { methodNotAllowed } from "@/server/rest/respond";
import { providerWebhookRoute } from "@/server/rest/webhooks";

export const dynamic = "force-dynamic";
export const POST = providerWebhookRoute;
export const GET = methodNotAllowed(["POST"]);
export const PUT = methodNotAllowed(["POST"]);
export const PATCH = methodNotAllowed(["POST"]);
export const DELETE = methodNotAllowed(["POST"]);
