import { listEventsRoute } from "@/server/rest/events";
import { methodNotAllowed } from "@/server/rest/respond";

export const dynamic = "force-dynamic";
export const GET = listEventsRoute;
export const POST = methodNotAllowed(["GET"]);
export const PUT = methodNotAllowed(["GET"]);
export const PATCH = methodNotAllowed(["GET"]);
export const DELETE = methodNotAllowed(["GET"]);
