import { balanceRoute } from "@/server/rest/payments";
import { methodNotAllowed } from "@/server/rest/respond";

export const dynamic = "force-dynamic";
export const GET = balanceRoute;
export const POST = methodNotAllowed(["GET"]);
export const PUT = methodNotAllowed(["GET"]);
export const PATCH = methodNotAllowed(["GET"]);
export const DELETE = methodNotAllowed(["GET"]);
