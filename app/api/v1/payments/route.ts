import { createPaymentRoute, listPaymentsRoute } from "@/server/http/payments";

export const dynamic = "force-dynamic";
export const POST = createPaymentRoute;
export const GET = listPaymentsRoute;
