import { healthRoute } from "@/server/rest/ops";
import { methodNotAllowed } from "@/server/rest/respond";

export const dynamic = "force-dynamic";
export const GET = healthRoute;
export const POST = methodNotAllowed(["GET"]);
export const PUT = methodNotAllowed(["GET"]);
export const PATCH = methodNotAllowed(["GET"]);
export const DELETE = methodNotAllowed(["GET"]);
