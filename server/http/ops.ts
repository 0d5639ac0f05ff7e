import { database } from "../db/client";
import { logger } from "../observability/logger";
import { metrics } from "../observability/metrics";
import { problem } from "../problem";
import { json, problemResponse } from "./respond";

/** GET /api/health: 200 when the database answers, 503 otherwise. */
export async function healthRoute(): Promise<Response> {
  try {
    const db = await database();
    await db.prisma.$queryRaw`SELECT 1`;
    return json({ status: "ok", database: db.embedded ? "embedded" : "postgresql" });
  } catch (error) {
    logger.warn({ err: error }, "health check failed");
    return problemResponse(problem("database_unavailable", "The database does not answer."));
  }
}

/** GET /api/metrics: Prometheus text exposition. */
export async function metricsRoute(): Promise<Response> {
  return new Response(await metrics.registry.metrics(), {
    headers: { "content-type": metrics.registry.contentType },
  });
}
