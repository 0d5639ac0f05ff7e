import { balanceRoute } from "@/server/http/payments";

export const dynamic = "force-dynamic";
export const GET = balanceRoute;
