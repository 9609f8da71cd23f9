import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv, RouteContext } from "../context.ts";
import { latestAuditId, recordAudit } from "../db/audit.ts";
import {
  attemptsOf,
  deleteWebhook,
  findDelivery,
  findWebhook,
  generateSecret,
  insertWebhook,
  listDeliveries,
  listWebhooks,
  newWebhookId,
  requeueDelivery,
  type AttemptRow,
  type DeliveryRow,
  type WebhookRow,
} from "../db/webhooks.ts";
import { ACTION_PATTERN, ACTION_PATTERN_RULE } from "../domain/event-filter.ts";
import { toTimestamp } from "../domain/time.ts";
import { isDeliverableUrl, isValidSecret, SECRET_RULE } from "../domain/webhooks.ts";
import { notFound } from "../errors.ts";
import { bearerSecurity, errorResponses, jsonBody, jsonResponse, limitQuery, pathId, Timestamp } from "./common.ts";

const MAX_URL_LENGTH = 2048;
const MAX_EVENT_PATTERNS = 64;
const EXAMPLE_WEBHOOK_ID = "wh-5d0c7a2e-8f3b-4c1d-9e6a-2b7f4c8d1e3a";
const EXAMPLE_DELIVERY_ID = "msg_8f2c1d0e4b6a4f3e9d7c5b1a2e3f4d5c";

const EventPatterns = z
  .array(z.string().regex(ACTION_PATTERN, ACTION_PATTERN_RULE))
  .min(1, "must name at least one event")
  .max(MAX_EVENT_PATTERNS, `at most ${MAX_EVENT_PATTERNS} patterns`)
  .openapi({
    description:
      "Audit actions to deliver: a name (`rollout.paused`), every action under a prefix (`rollout.*`, `machine.*`), or `*` for all",
    example: ["rollout.*", "batch.failed"],
  });

const CreateWebhookRequest = z
  .object({
    url: z
      .string()
      .max(MAX_URL_LENGTH, `must be at most ${MAX_URL_LENGTH} characters`)
      .refine(isDeliverableUrl, "must be an absolute http or https URL")
      .openapi({ example: "https://hooks.example.com/nixfleet" }),
    events: EventPatterns,
    secret: z.string().max(200).refine(isValidSecret, SECRET_RULE).optional().openapi({
      description:
        "Signing secret: whsec_ + base64 (the Standard Webhooks form), or other text whose UTF-8 bytes are the key; generated in the whsec_ form when absent",
      example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    }),
  })
  .openapi("CreateWebhookRequest", {
    example: { url: "https://hooks.example.com/nixfleet", events: ["rollout.*", "batch.failed"] },
  });

const WebhookSchema = z
  .object({
    id: z.string().openapi({ example: EXAMPLE_WEBHOOK_ID }),
    url: z.string(),
    events: z.array(z.string()),
    created_at: Timestamp,
    created_by: z.string().openapi({ example: "apikey:admin" }),
  })
  .openapi("Webhook");

const CreatedWebhook = WebhookSchema.extend({
  secret: z.string().openapi({
    description: "The signing secret, shown only in this answer",
    example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  }),
}).openapi("CreatedWebhook");

const DeliveryAttempt = z
  .object({
    attempted_at: Timestamp,
    status_code: z.int().nullable().openapi({ description: "The receiver's HTTP status; null when none came" }),
    error: z.string().nullable().openapi({ description: "Why the attempt failed; null when it succeeded" }),
    duration_ms: z.int(),
    response_excerpt: z.string().nullable().openapi({ description: "The first 256 characters of the answer" }),
  })
  .openapi("WebhookDeliveryAttempt");

const Delivery = z
  .object({
    id: z
      .string()
      .openapi({ description: "Also the `webhook-id` header of every attempt", example: EXAMPLE_DELIVERY_ID }),
    event_id: z.int().openapi({ description: "The event (its id in the event stream and audit log)" }),
    action: z.string().openapi({ example: "rollout.paused" }),
    status: z.enum(["pending", "succeeded", "failed"]).openapi({
      description: "pending: queued or waiting for a retry; failed: given up after 24 h of retries",
    }),
    created_at: Timestamp,
    next_attempt_at: Timestamp.nullable(),
    attempts: z.array(DeliveryAttempt).openapi({ description: "Every attempt, oldest first" }),
  })
  .openapi("WebhookDelivery");

const WebhookIdParams = z.object({ id: pathId("id", EXAMPLE_WEBHOOK_ID) });
const DeliveryParams = WebhookIdParams.extend({ delivery: pathId("delivery", EXAMPLE_DELIVERY_ID) });

export const createWebhookRoute = createRoute({
  method: "post",
  path: "/api/v1/webhooks",
  operationId: "createWebhook",
  tags: ["webhooks"],
  summary: "Add a webhook: matching events are POSTed to its URL, signed (Standard Webhooks)",
  security: bearerSecurity,
  request: { body: jsonBody(CreateWebhookRequest) },
  responses: {
    201: jsonResponse(CreatedWebhook, "Created; the secret is shown only here"),
    ...errorResponses(400, 401, 403, 413),
  },
});

export const listWebhooksRoute = createRoute({
  method: "get",
  path: "/api/v1/webhooks",
  operationId: "listWebhooks",
  tags: ["webhooks"],
  summary: "Every webhook (without secrets)",
  security: bearerSecurity,
  responses: { 200: jsonResponse(z.array(WebhookSchema), "Webhooks, oldest first"), ...errorResponses(401, 403) },
});

export const getWebhookRoute = createRoute({
  method: "get",
  path: "/api/v1/webhooks/{id}",
  operationId: "getWebhook",
  tags: ["webhooks"],
  summary: "One webhook (without its secret)",
  security: bearerSecurity,
  request: { params: WebhookIdParams },
  responses: { 200: jsonResponse(WebhookSchema, "The webhook"), ...errorResponses(400, 401, 403, 404) },
});

export const deleteWebhookRoute = createRoute({
  method: "delete",
  path: "/api/v1/webhooks/{id}",
  operationId: "deleteWebhook",
  tags: ["webhooks"],
  summary: "Remove a webhook with its queued deliveries and delivery log",
  security: bearerSecurity,
  request: { params: WebhookIdParams },
  responses: { 204: { description: "Deleted" }, ...errorResponses(400, 401, 403, 404) },
});

export const listDeliveriesRoute = createRoute({
  method: "get",
  path: "/api/v1/webhooks/{id}/deliveries",
  operationId: "listWebhookDeliveries",
  tags: ["webhooks"],
  summary: "A webhook's deliveries, newest event first, each with every attempt",
  security: bearerSecurity,
  request: { params: WebhookIdParams, query: z.object({ limit: limitQuery(50, 500) }) },
  responses: {
    200: jsonResponse(z.array(Delivery), "Deliveries, newest event first"),
    ...errorResponses(400, 401, 403, 404),
  },
});

export const redeliverRoute = createRoute({
  method: "post",
  path: "/api/v1/webhooks/{id}/deliveries/{delivery}/redeliver",
  operationId: "redeliverWebhookDelivery",
  tags: ["webhooks"],
  summary: "Send a delivery again now (same id and body), retried like a new one",
  security: bearerSecurity,
  request: { params: DeliveryParams },
  responses: { 202: jsonResponse(Delivery, "Queued"), ...errorResponses(400, 401, 403, 404) },
});

function toWebhook(row: WebhookRow): z.infer<typeof WebhookSchema> {
  return {
    id: row.id,
    url: row.url,
    events: JSON.parse(row.events) as string[],
    created_at: toTimestamp(row.createdAt),
    created_by: row.createdBy,
  };
}

function toDelivery(row: DeliveryRow, attempts: AttemptRow[]): z.infer<typeof Delivery> {
  return {
    id: row.id,
    event_id: row.eventId,
    action: row.action,
    status: row.status,
    created_at: toTimestamp(row.createdAt),
    next_attempt_at: toTimestamp(row.nextAttemptAt),
    attempts: attempts.map((a) => ({
      attempted_at: toTimestamp(a.attemptedAt),
      status_code: a.statusCode,
      error: a.error,
      duration_ms: a.durationMs,
      response_excerpt: a.responseExcerpt,
    })),
  };
}

const webhookNotFound = (id: string) => notFound(`webhook ${id} not found`);

/**
 * Registers the webhook routes. All of them need the admin role, reads included: a webhook's
 * URL may carry a token, and the delivery log shows what receivers answered.
 */
export function registerWebhookRoutes(app: OpenAPIHono<AppEnv>, { deps, requireRole }: RouteContext): void {
  app.openapi({ ...createWebhookRoute, middleware: [requireRole("admin")] }, async (c) => {
    const body = c.req.valid("json");
    const actor = c.get("actor");
    const now = deps.now();
    const row: WebhookRow = {
      id: newWebhookId(),
      url: body.url,
      events: JSON.stringify(body.events),
      secret: body.secret ?? generateSecret(),
      afterEventId: 0,
      createdAt: now,
      createdBy: actor,
    };
    await deps.store.write(async (tx) => {
      await recordAudit(tx, now, {
        actor,
        action: "webhook.created",
        target: row.id,
        detail: { url: row.url, events: body.events },
      });
      // Deliveries start after the webhook's own creation event.
      row.afterEventId = await latestAuditId(tx);
      await insertWebhook(tx, row);
    });
    return c.json({ ...toWebhook(row), secret: row.secret }, 201);
  });

  app.openapi({ ...listWebhooksRoute, middleware: [requireRole("admin")] }, async (c) => {
    return c.json((await listWebhooks(deps.store.db)).map(toWebhook), 200);
  });

  app.openapi({ ...getWebhookRoute, middleware: [requireRole("admin")] }, async (c) => {
    const { id } = c.req.valid("param");
    const webhook = await findWebhook(deps.store.db, id);
    if (!webhook) throw webhookNotFound(id);
    return c.json(toWebhook(webhook), 200);
  });

  app.openapi({ ...deleteWebhookRoute, middleware: [requireRole("admin")] }, async (c) => {
    const { id } = c.req.valid("param");
    const now = deps.now();
    await deps.store.write(async (tx) => {
      const webhook = await findWebhook(tx, id);
      if (!webhook) throw webhookNotFound(id);
      await deleteWebhook(tx, id);
      await recordAudit(tx, now, {
        actor: c.get("actor"),
        action: "webhook.deleted",
        target: id,
        detail: { url: webhook.url },
      });
    });
    return c.body(null, 204);
  });

  app.openapi({ ...listDeliveriesRoute, middleware: [requireRole("admin")] }, async (c) => {
    const { id } = c.req.valid("param");
    const { limit } = c.req.valid("query");
    if (!(await findWebhook(deps.store.db, id))) throw webhookNotFound(id);
    const deliveries = await listDeliveries(deps.store.db, id, limit);
    const attempts = await attemptsOf(
      deps.store.db,
      deliveries.map((d) => d.id),
    );
    return c.json(
      deliveries.map((d) =>
        toDelivery(
          d,
          attempts.filter((a) => a.deliveryId === d.id),
        ),
      ),
      200,
    );
  });

  app.openapi({ ...redeliverRoute, middleware: [requireRole("admin")] }, async (c) => {
    const { id, delivery: deliveryId } = c.req.valid("param");
    const now = deps.now();
    const delivery = await deps.store.write(async (tx) => {
      if (!(await findWebhook(tx, id))) throw webhookNotFound(id);
      const found = await findDelivery(tx, id, deliveryId);
      if (!found) throw notFound(`delivery ${deliveryId} of webhook ${id} not found`);
      const requeued = await requeueDelivery(tx, deliveryId, now);
      await recordAudit(tx, now, {
        actor: c.get("actor"),
        action: "webhook.redelivered",
        target: id,
        detail: { delivery_id: deliveryId, event_id: found.eventId },
      });
      return requeued;
    });
    void deps.webhookDispatcher.runDue();
    const attempts = await attemptsOf(deps.store.db, [deliveryId]);
    return c.json(toDelivery(delivery, attempts), 202);
  });
}
