import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv, RouteContext } from "../context.ts";
import { listAudit, type AuditFilter, type AuditRow } from "../db/audit.ts";
import { toCsvLines } from "../domain/csv.ts";
import { toTimestamp } from "../domain/time.ts";
import { yieldToEventLoop } from "../event-loop.ts";
import { bearerSecurity, clampedLimitQuery, errorResponses, jsonResponse, limitQuery, Timestamp } from "./common.ts";

const AUDIT_MAX_LIMIT = 500;
// The export walks the log in pages of this many rows, so only one page is in memory at a time.
const EXPORT_PAGE_SIZE = 500;
const CSV_HEADER = ["timestamp", "actor", "action", "target", "detail"];

const AuditEvent = z
  .object({
    id: z.number().int().openapi({ example: 42 }),
    timestamp: Timestamp,
    actor: z.string().openapi({ example: "apikey:admin" }),
    action: z.string().openapi({ example: "update_lifecycle" }),
    target: z.string().openapi({ example: "web-01" }),
    detail: z.string().openapi({ example: '{"from":"active","to":"maintenance"}' }),
  })
  .openapi("AuditEvent");

/** An exact-match filter; an empty value does not filter. */
const filterParam = (name: string, example: string, description: string) =>
  z
    .string()
    .optional()
    .openapi({ param: { name, in: "query" }, example, description })
    .transform((value) => (value === "" ? undefined : value));

const AuditFilterQuery = z.object({
  actor: filterParam("actor", "apikey:admin", "Only events by this actor"),
  action: filterParam("action", "rollout.created", "Only events with this action"),
  target: filterParam("target", "web-01", "Only events about this target"),
});

const AuditListQuery = AuditFilterQuery.extend({ limit: limitQuery(100, AUDIT_MAX_LIMIT) });

// v0.1 exported with the list's query, limit included; absent here, the export has every match.
const AuditExportQuery = AuditFilterQuery.extend({
  limit: clampedLimitQuery(
    AUDIT_MAX_LIMIT,
    Infinity,
    `At most this many, values outside 1–${AUDIT_MAX_LIMIT} clamped; absent: every matching event`,
    "100",
  ),
});

export const listAuditEvents = createRoute({
  method: "get",
  path: "/api/v1/audit",
  operationId: "listAuditEvents",
  tags: ["audit"],
  summary: "Audit events, newest first",
  security: bearerSecurity,
  request: { query: AuditListQuery },
  responses: {
    200: jsonResponse(z.array(AuditEvent), "Matching events, newest first"),
    ...errorResponses(400, 401, 403),
  },
});

export const exportAuditEvents = createRoute({
  method: "get",
  path: "/api/v1/audit/export",
  operationId: "exportAuditEvents",
  tags: ["audit"],
  summary: "Every matching audit event as CSV, newest first",
  description:
    'Columns `timestamp,actor,action,target,detail`. Fields holding `,` `"` CR or LF are quoted with `""` doubling; a field starting with `= + - @` TAB or CR gets a leading `\'` so spreadsheets do not run it as a formula.',
  security: bearerSecurity,
  request: { query: AuditExportQuery },
  responses: {
    200: {
      description: "CSV attachment `audit.csv`",
      headers: {
        "Content-Disposition": { schema: { type: "string", example: 'attachment; filename="audit.csv"' } },
      },
      content: {
        "text/csv": {
          schema: z.string().openapi({
            example: "timestamp,actor,action,target,detail\n2026-11-27T10:00:00.000Z,apikey:admin,register,web-01,{}\n",
          }),
        },
      },
    },
    ...errorResponses(400, 401, 403),
  },
});

function toAuditEvent(row: AuditRow): z.infer<typeof AuditEvent> {
  return {
    id: row.id,
    timestamp: toTimestamp(row.timestamp),
    actor: row.actor,
    action: row.action,
    target: row.target,
    detail: row.detail,
  };
}

function toCsvRecord(row: AuditRow): string[] {
  return [toTimestamp(row.timestamp), row.actor, row.action, row.target, row.detail];
}

/** Registers the audit log list and its CSV export. */
export function registerAuditRoutes(app: OpenAPIHono<AppEnv>, { deps, requireRole }: RouteContext): void {
  app.openapi({ ...listAuditEvents, middleware: [requireRole("readonly")] }, async (c) => {
    const { limit, ...filter } = c.req.valid("query");
    const rows = await listAudit(deps.store.db, filter, limit);
    return c.json(rows.map(toAuditEvent), 200);
  });

  app.openapi({ ...exportAuditEvents, middleware: [requireRole("readonly")] }, (c) => {
    const { limit, ...filter }: AuditFilter & { limit: number } = c.req.valid("query");
    const encoder = new TextEncoder();
    let remaining = limit;
    let beforeId: number | undefined;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode(toCsvLines([CSV_HEADER])));
      },
      async pull(controller) {
        try {
          // One page per turn of the event loop: exporting the whole log does not hold up agent polls.
          if (beforeId !== undefined) await yieldToEventLoop();
          const pageSize = Math.min(EXPORT_PAGE_SIZE, remaining);
          const rows = await listAudit(deps.store.db, filter, pageSize, beforeId);
          if (rows.length > 0) {
            controller.enqueue(encoder.encode(toCsvLines(rows.map(toCsvRecord))));
            beforeId = rows[rows.length - 1]!.id;
          }
          remaining -= rows.length;
          if (rows.length < pageSize || remaining === 0) controller.close();
        } catch (error) {
          deps.logger.error("audit export failed", { error: error instanceof Error ? error.message : String(error) });
          controller.error(error);
        }
      },
    });
    return c.body(body, 200, {
      "content-type": "text/csv",
      "content-disposition": 'attachment; filename="audit.csv"',
    });
  });
}
