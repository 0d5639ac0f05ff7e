import { methodNotAllowed } from "@/server/rest/respond";
import { signInRoute, signOutRoute } from "@/server/rest/operator-session";

export const dynamic = "force-dynamic";
export const POST = signInRoute;
export const DELETE = signOutRoute;
export const GET = methodNotAllowed(["POST", "DELETE"]);
export const PUT = methodNotAllowed(["POST", "DELETE"]);
export const PATCH = methodNotAllowed(["POST", "DELETE"]);
