import { HTTPException } from "hono/http-exception";
import type { Context } from "hono";
import type { z } from "@hono/zod-openapi";
import { asDatabaseUnavailable, errorLogFields, RETRY_AFTER_SECONDS } from "./db/unavailable.ts";
import type { Logger } from "./logger.ts";

const STATUS = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof STATUS;
export type ErrorStatus = (typeof STATUS)[ErrorCode];

/** The one error type of the API: a code (→ HTTP status) and a sentence for the client. */
export class ApiError extends Error {
  override name = "ApiError";
  readonly status: ErrorStatus;
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.status = STATUS[code];
  }
}

export const badRequest = (message: string) => new ApiError("bad_request", message);
export const notFound = (message: string) => new ApiError("not_found", message);
export const conflict = (message: string) => new ApiError("conflict", message);

// Hono's own exceptions carry terse reason phrases; say what the client should do instead.
const HTTP_EXCEPTION_MESSAGES: Partial<Record<number, string>> = {
  413: "request body exceeds 1 MiB",
};

/** Turns any thrown value into the JSON error response; unexpected ones become a logged 500. */
export function errorResponse(error: unknown, c: Context, logger: Logger): Response {
  if (error instanceof ApiError) return c.json({ error: error.message }, error.status);
  // Also a read that met another process's lock: the database's trouble, not the request's.
  const unavailable = asDatabaseUnavailable(error);
  if (unavailable) {
    logger.warn("request refused: database unavailable", {
      method: c.req.method,
      path: c.req.path,
      trouble: unavailable.trouble,
      sqlite_code: unavailable.sqliteCode,
    });
    return c.json({ error: unavailable.trouble }, 503, { "Retry-After": String(RETRY_AFTER_SECONDS) });
  }
  if (error instanceof HTTPException) {
    const status = error.status;
    return c.json({ error: HTTP_EXCEPTION_MESSAGES[status] ?? (error.message || "bad request") }, status);
  }
  logger.error("request failed", { method: c.req.method, path: c.req.path, ...errorLogFields(error) });
  return c.json({ error: "internal server error" }, 500);
}

/** One sentence naming the first invalid field of a zod validation failure. */
export function describeZodError(error: z.ZodError, target: string): string {
  const issue = error.issues[0];
  if (!issue) return `invalid ${target}`;
  const where = issue.path.length > 0 ? issue.path.map(String).join(".") : target === "json" ? "body" : target;
  if (issue.code === "invalid_type" && /received undefined/.test(issue.message)) return `${where} is required`;
  return `${where}: ${issue.message}`;
}
