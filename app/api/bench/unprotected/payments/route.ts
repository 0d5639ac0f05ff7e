import { unprotectedRoute, otherMethods } from "@/server/bench-peers/rest";

// Bench only (ONCEPAY_BENCH_PEERS=1): see server/bench-peers/flows.ts. Without the flag, a 404 as for any unknown path.
export const dynamic = "force-dynamic";
export const POST = unprotectedRoute;
export const GET = otherMethods;
export const PUT = otherMethods;
export const PATCH = otherMethods;
export const DELETE = otherMethods;
