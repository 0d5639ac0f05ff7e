import { createPaymentRoute, listPaymentsRoute } from "@/server/rest/payments";
import { methodNotAllowed } from "@/server/rest/respond";

export const dynamic = "force-dynamic";
export const POST = createPaymentRoute;
export const GET = listPaymentsRoute;
export const PUT = methodNotAllowed(["GET", "POST"]);
export const PATCH = methodNotAllowed(["GET", "POST"]);
export const DELETE = methodNotAllowed(["GET", "POST"]);
