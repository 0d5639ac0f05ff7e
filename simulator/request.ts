import type http from "node:http";
import qs from "qs";
import { invalidRequest, ProviderError, type Answer } from "./errors";

/** What goes on the wire; `body` is kept as the exact bytes so a replay can repeat them. */
export interface Reply {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

export const serialize = (answer: Answer): Reply => ({ status: answer.status, body: JSON.stringify(answer.body) });

const MAX_BODY_BYTES = 1 << 20;

export function header(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new ProviderError(413, { type: "invalid_request_error", message: "Request body too large." });
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export const parseForm = (text: string) => qs.parse(text, { depth: 5, parameterLimit: 1000, arrayLimit: 100 }) as Record<string, unknown>;

/** The simulator's own endpoints take JSON (handier from a dashboard or curl) as well as Stripe's forms. */
export async function readParams(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const text = await readBody(req);
  if (!(header(req, "content-type") ?? "").includes("json")) return parseForm(text);
  if (!text.trim()) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalidRequest("Invalid JSON body.");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw invalidRequest("The JSON body must be an object.");
  return parsed as Record<string, unknown>;
}
