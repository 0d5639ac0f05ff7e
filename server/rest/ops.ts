import { app } from "../app";
import { operators } from "../app/operators";
import { DatabaseUnavailableError } from "../db/errors";
import { statement } from "../db/sql";
import { logger } from "../observability/logger";
import { metrics } from "../observability/metrics";
import { problem } from "../problem";
import { json } from "./respond";
import { problemResponse } from "@oncepay/idempotency/fetch";

const PING = statement("health_ping", "SELECT 1");

/** GET /api/health: 200 when the database answers, 503 otherwise. Redis is optional: reported, never fatal. */
export async function healthRoute(): Promise<Response> {
  try {
    const { db, redis: cache } = await app();
    await db.sql.rows(PING);
    return json({
      status: "ok",
      database: db.embedded ? "embedded" : "postgresql",
      redis: cache ? (cache.status === "ready" ? "ok" : "unavailable") : "off",
    });
  } catch (error) {
    logger.warn({ err: error }, "health check failed");
    return problemResponse(problem("database_unavailable", "The database does not answer."), {
      "retry-after": String(DatabaseUnavailableError.retryAfterSeconds),
    });
  }
}

/** GET /api/metrics: Prometheus text exposition, for operators (a scraper sends the token as a bearer token). */
export async function metricsRoute(request: Request): Promise<Response> {
  const access = await operators().authorize(request.headers);
  if (!access.ok) return problemResponse(access.problem, access.headers);
  return new Response(await metrics.registry.metrics(), {
    headers: { "content-type": metrics.registry.contentType },
  });
}
