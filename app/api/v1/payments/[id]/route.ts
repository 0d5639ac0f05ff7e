import { getPaymentRoute } from "@/server/http/payments";

export const dynamic = "force-dynamic";
export const GET = getPaymentRoute;
