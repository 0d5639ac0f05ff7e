import { createRefundRoute } from "@/server/rest/refunds";
import { methodNotAllowed } from "@/server/rest/respond";

export const dynamic = "force-dynamic";
export const POST = createRefundRoute;
export const GET = methodNotAllowed(["POST"]);
export const PUT = methodNotAllowed(["POST"]);
export const PATCH = methodNotAllowed(["POST"]);
export const DELETE = methodNotAllowed(["POST"]);
