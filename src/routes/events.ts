import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { AppEnv, RouteContext } from "../context.ts";
import { latestAuditId, type AuditRow } from "../db/audit.ts";
import { toStreamEvent } from "../domain/stream-event.ts";
import { findRollout } from "../db/rollouts.ts";
import { ACTION_PATTERN, ACTION_PATTERN_RULE, type EventFilter } from "../domain/event-filter.ts";
import { notFound } from "../errors.ts";
import { bearerSecurity, errorResponses, pathId, Timestamp } from "./common.ts";

const MAX_ACTION_FILTERS = 32;

/** The JSON of an event's `data:` line. */
export const StreamEvent = z
  .object({
    id: z.int().openapi({ description: "The event id (also the SSE `id:`)", example: 1042 }),
    timestamp: Timestamp,
    actor: z.string().openapi({ example: "executor" }),
    action: z.string().openapi({ description: "The audit action (also the SSE `event:`)", example: "batch.succeeded" }),
    target: z.string().openapi({ description: "Rollout id for rollout events, machine id for machine events" }),
    rollout_id: z.string().nullable().openapi({ description: "The rollout the event belongs to, if any" }),
    detail: z.unknown().openapi({ description: "The audit detail, parsed when it is JSON (it nearly always is)" }),
  })
  .openapi("StreamEvent");

const ActionFilter = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((value) => (value === undefined ? undefined : Array.isArray(value) ? value : [value]))
  .refine((patterns) => patterns === undefined || patterns.length <= MAX_ACTION_FILTERS, {
    message: `at most ${MAX_ACTION_FILTERS} action filters`,
  })
  .refine((patterns) => patterns === undefined || patterns.every((p) => ACTION_PATTERN.test(p)), {
    message: ACTION_PATTERN_RULE,
  })
  .openapi({
    param: { name: "action", in: "query", style: "form", explode: true },
    description: "Only these actions; repeat for several (any matches). `rollout.*` is every action under `rollout.`",
    example: "rollout.*",
  });

const EventId = z
  .string()
  .regex(/^\d{1,15}$/, "must be an event id (the `id:` of an event received before)")
  .optional();

const ResumeQuery = {
  last_event_id: EventId.openapi({
    param: { name: "last_event_id", in: "query" },
    description:
      "Resume after this event id, for clients that cannot send the `Last-Event-ID` header; the header wins when both are sent",
  }),
};

const ResumeHeaders = z.object({
  "last-event-id": EventId.openapi({
    param: { name: "last-event-id", in: "header" },
    description: "Resume after this event: every later event is sent, none twice (what EventSource sends on reconnect)",
    example: "1041",
  }),
});

const ScopeId = z.string().min(1, "must not be empty").max(128, "must be at most 128 characters").optional();

const MachineFilter = ScopeId.openapi({
  param: { name: "machine", in: "query" },
  description: "Only events about this machine (the event's target)",
});

const FleetStreamQuery = z.object({
  rollout: ScopeId.openapi({
    param: { name: "rollout", in: "query" },
    description: "Only events of this rollout (its own and its machines')",
  }),
  machine: MachineFilter,
  action: ActionFilter,
  ...ResumeQuery,
});

const RolloutStreamQuery = z.object({ machine: MachineFilter, action: ActionFilter, ...ResumeQuery });

const SSE_DESCRIPTION =
  "Server-Sent Events: per event `id:` (the event id), `event:` (the action) and one `data:` line with a `StreamEvent` JSON; a `: heartbeat` comment every 15 s while idle. A reader that falls 1000 events behind is disconnected and resumes with `Last-Event-ID`.";

const eventStream = {
  description: SSE_DESCRIPTION,
  content: {
    "text/event-stream": {
      schema: z.string().openapi({
        example:
          'id: 1042\nevent: batch.succeeded\ndata: {"id":1042,"timestamp":"2026-11-27T10:00:00.000Z","actor":"executor","action":"batch.succeeded","target":"r-0b7e2f0a-3c1d-4e5f-8a9b-1c2d3e4f5a6b","rollout_id":"r-0b7e2f0a-3c1d-4e5f-8a9b-1c2d3e4f5a6b","detail":{"batch_index":0}}\n\n',
      }),
    },
  },
};

export const streamEventsRoute = createRoute({
  method: "get",
  path: "/api/v1/events/stream",
  operationId: "getEventStream",
  tags: ["events"],
  summary: "Every audit event and state change as Server-Sent Events, as they happen",
  description: `${SSE_DESCRIPTION} Without \`Last-Event-ID\` the stream starts with the next event.`,
  security: bearerSecurity,
  request: { query: FleetStreamQuery, headers: ResumeHeaders },
  responses: { 200: eventStream, ...errorResponses(400, 401, 403) },
});

export const streamRolloutEventsRoute = createRoute({
  method: "get",
  path: "/api/v1/rollouts/{id}/stream",
  operationId: "getRolloutEventStream",
  tags: ["events", "rollouts"],
  summary: "One rollout's events as Server-Sent Events: its history so far, then as they happen",
  description: `${SSE_DESCRIPTION} Without \`Last-Event-ID\` the stream starts with the rollout's first event, so a client that connects after creating the rollout misses nothing.`,
  security: bearerSecurity,
  request: {
    params: z.object({ id: pathId("id", "r-0b7e2f0a-3c1d-4e5f-8a9b-1c2d3e4f5a6b") }),
    query: RolloutStreamQuery,
    headers: ResumeHeaders,
  },
  responses: { 200: eventStream, ...errorResponses(400, 401, 403, 404) },
});

/** Registers the fleet-wide and per-rollout event streams. */
export function registerEventRoutes(app: OpenAPIHono<AppEnv>, { deps, requireRole }: RouteContext): void {
  app.openAPIRegistry.register("StreamEvent", StreamEvent);

  /** Streams the events after `after` that pass `filter`, until the client leaves or the server ends it. */
  const stream = (c: Context<AppEnv>, filter: EventFilter, after: number) => {
    // Hono answers HEAD with this GET handler and drops the body unread: a stream opened for it
    // would wait for its reader until 1000 events had passed it by.
    if (c.req.method === "HEAD")
      return c.body(null, 200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    c.env?.keepOpen?.(c.req.raw);
    const follower = deps.eventStreams.subscribe(filter, after);
    // A reverse proxy (nginx) would otherwise buffer the stream and deliver events late.
    c.header("X-Accel-Buffering", "no");
    return streamSSE(c, async (sse) => {
      follower.onEnd = () => sse.abort();
      sse.onAbort(() => follower.close());
      try {
        // Something to read at once, so a client sees the stream is open before the first event.
        await sse.write(": connected\n\n");
        for (;;) {
          const item = await follower.next();
          if (item === null) return;
          if (item === "heartbeat") await sse.write(": heartbeat\n\n");
          else await sse.write(item.map(formatEvent).join(""));
        }
      } catch (error) {
        deps.logger.warn("event stream ended by an error", { error: String(error) });
      } finally {
        deps.eventStreams.release(follower);
      }
    });
  };

  app.openapi({ ...streamEventsRoute, middleware: [requireRole("readonly")] }, async (c) => {
    const { rollout, machine, action, last_event_id } = c.req.valid("query");
    const resumeId = c.req.valid("header")["last-event-id"] ?? last_event_id;
    // "Now" is the newest committed event, which the feed may not have read yet.
    const after = resumeId === undefined ? await latestAuditId(deps.store.db) : Number(resumeId);
    return stream(c, { rolloutId: rollout, machineId: machine, actions: action }, after) as never;
  });

  app.openapi({ ...streamRolloutEventsRoute, middleware: [requireRole("readonly")] }, async (c) => {
    const { id } = c.req.valid("param");
    const { machine, action, last_event_id } = c.req.valid("query");
    if (!(await findRollout(deps.store.db, id))) throw notFound(`rollout ${id} not found`);
    const after = Number(c.req.valid("header")["last-event-id"] ?? last_event_id ?? 0);
    return stream(c, { rolloutId: id, machineId: machine, actions: action }, after) as never;
  });
}

/**
 * Each event's SSE text, made once: every stream following the feed gets the same row objects,
 * so 100 subscribers cost one serialization per event, not 100.
 */
const framed = new WeakMap<AuditRow, string>();

/** One event in SSE framing; JSON has no raw line breaks, so `data` is one line. */
function formatEvent(row: AuditRow): string {
  let text = framed.get(row);
  if (text === undefined) {
    const data = JSON.stringify(toStreamEvent(row));
    text = `id: ${row.id}\nevent: ${row.action.replace(/[\r\n]/g, " ")}\ndata: ${data}\n\n`;
    framed.set(row, text);
  }
  return text;
}
