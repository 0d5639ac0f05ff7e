import { handleTrpc } from "@/server/trpc/http";

export const dynamic = "force-dynamic";
export const GET = handleTrpc;
export const POST = handleTrpc;
