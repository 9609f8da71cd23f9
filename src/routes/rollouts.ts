import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv, RouteContext } from "../context.ts";
import type { DbOrTx } from "../db/database.ts";
import {
  BATCH_STATUSES,
  ROLLOUT_STATUSES,
  batchesOf,
  eventsOf,
  findRollout,
  listRollouts,
  machinesOf,
  type RolloutMachineRow,
  type RolloutRow,
} from "../db/rollouts.ts";
import {
  ON_FAILURE_ACTIONS,
  STRATEGIES,
  effectiveBatchSizes,
  parseBatchSizes,
  parseFailureThreshold,
  type Target,
} from "../domain/rollout-planning.ts";
import { badRequest, notFound } from "../errors.ts";
import { Timestamp, bearerSecurity, errorResponses, identifier, pathId, toTimestamp } from "./common.ts";

const EXAMPLE_ROLLOUT_ID = "r-0b7e2f0a-3c1d-4e5f-8a9b-1c2d3e4f5a6b";
const EXAMPLE_RELEASE_ID = "rel-6f1c2b4e-9a51-4c3e-8f4d-2a7b9c0d1e2f";
const DEFAULT_HEALTH_TIMEOUT_SECONDS = 300;

const Strategy = z.enum(STRATEGIES).openapi("RolloutStrategy", { example: "canary" });
const OnFailure = z
  .enum(ON_FAILURE_ACTIONS)
  .openapi("RolloutOnFailure", { description: "What a failed batch does to the rollout", example: "pause" });
const RolloutStatus = z.enum(ROLLOUT_STATUSES).openapi("RolloutStatus", { example: "running" });
const BatchStatus = z.enum(BATCH_STATUSES).openapi("BatchStatus", { example: "waiting_health" });

// Absent and null mean the same: v0.1 clients send `null` for options they leave unset.
const MachineName = identifier().min(1, "must not be empty").max(128, "must be at most 128 characters");
const NameList = z
  .array(MachineName)
  .min(1, "must not be empty")
  .nullish()
  .transform((v) => v ?? undefined);

export const CreateRolloutRequest = z
  .object({
    release_id: identifier()
      .min(1, "must not be empty")
      .max(128, "must be at most 128 characters")
      .openapi({ example: EXAMPLE_RELEASE_ID }),
    strategy: Strategy,
    batch_sizes: z
      .array(z.string().max(32, "must be at most 32 characters"))
      .max(1000, "at most 1000 batch sizes")
      .nullish()
      .transform((v) => v ?? undefined)
      .openapi({
        description:
          'Staged only: each size is a count ("5") or a percentage of the machines left ("25%"); the last takes the rest',
        example: ["1", "25%", "100%"],
      }),
    failure_threshold: z
      .string()
      .max(32, "must be at most 32 characters")
      .nullish()
      .transform((v) => v ?? "0")
      .openapi({ description: 'Unhealthy machines a batch tolerates: "N" or "p%" of the batch', example: "0" }),
    on_failure: z
      .union([OnFailure, z.null()])
      .optional()
      .transform((v) => v ?? "pause"),
    health_timeout: z
      .number()
      .int("must be an integer")
      .nonnegative("must not be negative")
      .nullish()
      .transform((v) => v ?? DEFAULT_HEALTH_TIMEOUT_SECONDS)
      .openapi({ description: "Seconds a machine has to become healthy", example: 300 }),
    cache_url: identifier()
      .max(2048, "must be at most 2048 characters")
      .nullish()
      .transform((v) => v ?? null)
      .openapi({ description: "Binary cache for this rollout (default: the release's)", example: null }),
    target: z
      .object({
        tags: NameList.openapi({ description: "Active machines having all these tags", example: ["web"] }),
        hosts: NameList.openapi({ description: "These machines", example: ["web-01", "web-02"] }),
      })
      .refine((t) => (t.tags === undefined) !== (t.hosts === undefined), "must have either tags or hosts")
      .openapi("RolloutTarget"),
  })
  .openapi("CreateRolloutRequest", {
    example: {
      release_id: EXAMPLE_RELEASE_ID,
      strategy: "staged",
      batch_sizes: ["1", "25%", "100%"],
      failure_threshold: "0",
      on_failure: "pause",
      health_timeout: 300,
      target: { tags: ["web"] },
    },
  });

const PlannedBatch = z
  .object({
    batch_index: z.number().int().openapi({ example: 0 }),
    machine_ids: z.array(z.string()).openapi({ example: ["web-01"] }),
    status: z.literal("pending"),
  })
  .openapi("PlannedBatch");

export const CreatedRollout = z
  .object({
    rollout_id: z.string().openapi({ example: EXAMPLE_ROLLOUT_ID }),
    batches: z.array(PlannedBatch),
    total_machines: z.number().int().openapi({ example: 3 }),
  })
  .openapi("CreatedRollout");

export const MachineHealth = z
  .union([
    z.enum(["pending", "healthy"]),
    z.object({ unhealthy: z.string().openapi({ example: "health check nginx failed" }) }),
  ])
  .openapi("MachineHealth", {
    description: 'A machine\'s state in its batch: "pending", "healthy" or {"unhealthy": reason}',
  });

export const Batch = z
  .object({
    batch_index: z.number().int().openapi({ example: 0 }),
    machine_ids: z.array(z.string()).openapi({ example: ["web-01"] }),
    status: BatchStatus,
    machine_health: z.record(z.string(), MachineHealth).openapi({ example: { "web-01": "healthy" } }),
    started_at: Timestamp.nullable(),
    completed_at: Timestamp.nullable(),
  })
  .openapi("Batch");

export const RolloutEvent = z
  .object({
    id: z.number().int().openapi({ example: 1 }),
    rollout_id: z.string().openapi({ example: EXAMPLE_ROLLOUT_ID }),
    event_type: z.string().openapi({ example: "batch.succeeded" }),
    detail: z.string().openapi({ example: '{"batch_index":0,"unhealthy":0,"allowed_failures":0}' }),
    actor: z.string().openapi({ example: "executor" }),
    created_at: Timestamp,
  })
  .openapi("RolloutEvent");

const rolloutFields = {
  id: z.string().openapi({ example: EXAMPLE_ROLLOUT_ID }),
  status: RolloutStatus,
  strategy: Strategy,
  release_id: z.string().openapi({ example: EXAMPLE_RELEASE_ID }),
  on_failure: OnFailure,
  failure_threshold: z.string().openapi({ example: "0" }),
  health_timeout: z.number().int().openapi({ example: 300 }),
  batches: z.array(Batch),
  created_at: Timestamp,
  updated_at: Timestamp,
  created_by: z.string().openapi({ example: "apikey:ci" }),
};

export const RolloutSummary = z.object(rolloutFields).openapi("RolloutSummary");
export const Rollout = z.object({ ...rolloutFields, events: z.array(RolloutEvent) }).openapi("Rollout");

const RolloutIdParams = z.object({ id: pathId("id", EXAMPLE_ROLLOUT_ID) });
const ListRolloutsQuery = z.object({
  status: RolloutStatus.optional().openapi({ param: { name: "status", in: "query" } }),
});

const json = <T>(schema: T) => ({ "application/json": { schema } });

export const createRolloutRoute = createRoute({
  method: "post",
  path: "/api/v1/rollouts",
  operationId: "createRollout",
  tags: ["rollouts"],
  summary: "Start a rollout of a release to machines, batch by batch with health gates (deploy role)",
  security: bearerSecurity,
  request: { body: { required: true, content: json(CreateRolloutRequest) } },
  responses: {
    201: { description: "The rollout was planned and is running", content: json(CreatedRollout) },
    ...errorResponses(400, 401, 403, 404, 409, 413),
  },
});

export const listRolloutsRoute = createRoute({
  method: "get",
  path: "/api/v1/rollouts",
  operationId: "listRollouts",
  tags: ["rollouts"],
  summary: "Rollouts, newest first, optionally with one status (without their events)",
  security: bearerSecurity,
  request: { query: ListRolloutsQuery },
  responses: {
    200: { description: "The rollouts", content: json(z.array(RolloutSummary)) },
    ...errorResponses(400, 401, 403),
  },
});

export const getRolloutRoute = createRoute({
  method: "get",
  path: "/api/v1/rollouts/{id}",
  operationId: "getRollout",
  tags: ["rollouts"],
  summary: "One rollout: its batches with each machine's health, and its events",
  security: bearerSecurity,
  request: { params: RolloutIdParams },
  responses: {
    200: { description: "The rollout", content: json(Rollout) },
    ...errorResponses(400, 401, 403, 404),
  },
});

export const resumeRolloutRoute = createRoute({
  method: "post",
  path: "/api/v1/rollouts/{id}/resume",
  operationId: "resumeRollout",
  tags: ["rollouts"],
  summary: "Resume a paused rollout: its failed batch starts again (deploy role)",
  security: bearerSecurity,
  request: { params: RolloutIdParams },
  responses: {
    200: { description: "The rollout, running again", content: json(Rollout) },
    ...errorResponses(400, 401, 403, 404, 409),
  },
});

export const cancelRolloutRoute = createRoute({
  method: "post",
  path: "/api/v1/rollouts/{id}/cancel",
  operationId: "cancelRollout",
  tags: ["rollouts"],
  summary: "Cancel a rollout; machines keep the generation they were given (deploy role)",
  security: bearerSecurity,
  request: { params: RolloutIdParams },
  responses: {
    200: { description: "The cancelled rollout", content: json(Rollout) },
    ...errorResponses(400, 401, 403, 404, 409),
  },
});

export const deleteRolloutRoute = createRoute({
  method: "delete",
  path: "/api/v1/rollouts/{id}",
  operationId: "deleteRollout",
  tags: ["rollouts"],
  summary: "Delete a finished (completed, failed or cancelled) rollout (admin role)",
  security: bearerSecurity,
  request: { params: RolloutIdParams },
  responses: {
    204: { description: "The rollout, its batches, machines and events were deleted" },
    ...errorResponses(400, 401, 403, 404, 409),
  },
});

type RolloutSummaryBody = z.infer<typeof RolloutSummary>;
type RolloutBody = z.infer<typeof Rollout>;

function machineHealth(row: RolloutMachineRow): z.infer<typeof MachineHealth> {
  if (row.health === "unhealthy") return { unhealthy: row.healthReason ?? "unhealthy" };
  return row.health;
}

/** The rollouts with their batches and per-machine health, in the order given. */
async function rolloutSummaries(db: DbOrTx, rows: readonly RolloutRow[]): Promise<RolloutSummaryBody[]> {
  const ids = rows.map((r) => r.id);
  const [batchRows, machineRows] = await Promise.all([batchesOf(db, ids), machinesOf(db, ids)]);
  const batches = new Map<string, RolloutSummaryBody["batches"]>();
  for (const b of batchRows) {
    const list = batches.get(b.rolloutId) ?? [];
    list.push({
      batch_index: b.batchIndex,
      machine_ids: [],
      status: b.status,
      machine_health: {},
      started_at: toTimestamp(b.startedAt),
      completed_at: toTimestamp(b.completedAt),
    });
    batches.set(b.rolloutId, list);
  }
  for (const m of machineRows) {
    const batch = batches.get(m.rolloutId)?.[m.batchIndex];
    if (!batch) continue;
    batch.machine_ids.push(m.machineId);
    batch.machine_health[m.machineId] = machineHealth(m);
  }
  return rows.map((r) => ({
    id: r.id,
    status: r.status,
    strategy: r.strategy,
    release_id: r.releaseId,
    on_failure: r.onFailure,
    failure_threshold: r.failureThreshold,
    health_timeout: r.healthTimeout,
    batches: batches.get(r.id) ?? [],
    created_at: toTimestamp(r.createdAt),
    updated_at: toTimestamp(r.updatedAt),
    created_by: r.createdBy,
  }));
}

/** One rollout with its events; 404 when unknown. */
async function rolloutDetail(db: DbOrTx, id: string): Promise<RolloutBody> {
  const row = await findRollout(db, id);
  if (!row) throw notFound(`rollout ${id} not found`);
  const [[summary], events] = await Promise.all([rolloutSummaries(db, [row]), eventsOf(db, id)]);
  return {
    ...summary!,
    events: events.map((e) => ({
      id: e.id,
      rollout_id: e.rolloutId,
      event_type: e.eventType,
      detail: e.detail,
      actor: e.actor,
      created_at: toTimestamp(e.createdAt),
    })),
  };
}

/** Registers the rollout routes (SPEC §7). */
export function registerRolloutRoutes(app: OpenAPIHono<AppEnv>, { deps, requireRole }: RouteContext): void {
  const executor = deps.rolloutExecutor;

  app.openapi({ ...createRolloutRoute, middleware: [requireRole("deploy")] }, async (c) => {
    const body = c.req.valid("json");
    // Given sizes are validated whatever the strategy: a typo is refused, not silently ignored.
    if (body.batch_sizes !== undefined) {
      const given = parseBatchSizes(body.batch_sizes);
      if (!given.ok) throw badRequest(given.error);
    }
    const sizes = effectiveBatchSizes(body.strategy, body.batch_sizes);
    const parsedSizes = parseBatchSizes(sizes);
    if (!parsedSizes.ok) throw badRequest(parsedSizes.error);
    const threshold = parseFailureThreshold(body.failure_threshold);
    if (!threshold.ok) throw badRequest(threshold.error);
    const target: Target = body.target.tags ? { tags: body.target.tags } : { hosts: body.target.hosts ?? [] };
    const planned = await executor.create({
      releaseId: body.release_id,
      strategy: body.strategy,
      batchSizes: { text: sizes, parsed: parsedSizes.value },
      failureThreshold: body.failure_threshold,
      onFailure: body.on_failure,
      healthTimeoutSeconds: body.health_timeout,
      cacheUrl: body.cache_url,
      target,
      actor: c.get("actor"),
    });
    return c.json(
      {
        rollout_id: planned.rolloutId,
        batches: planned.batches.map((machineIds, index) => ({
          batch_index: index,
          machine_ids: machineIds,
          status: "pending" as const,
        })),
        total_machines: planned.batches.reduce((sum, b) => sum + b.length, 0),
      },
      201,
    );
  });

  app.openapi({ ...listRolloutsRoute, middleware: [requireRole("readonly")] }, async (c) => {
    const { status } = c.req.valid("query");
    const rows = await listRollouts(deps.store.db, status);
    return c.json(await rolloutSummaries(deps.store.db, rows), 200);
  });

  app.openapi({ ...getRolloutRoute, middleware: [requireRole("readonly")] }, async (c) => {
    return c.json(await rolloutDetail(deps.store.db, c.req.valid("param").id), 200);
  });

  app.openapi({ ...resumeRolloutRoute, middleware: [requireRole("deploy")] }, async (c) => {
    const { id } = c.req.valid("param");
    await executor.resume(id, c.get("actor"));
    return c.json(await rolloutDetail(deps.store.db, id), 200);
  });

  app.openapi({ ...cancelRolloutRoute, middleware: [requireRole("deploy")] }, async (c) => {
    const { id } = c.req.valid("param");
    await executor.cancel(id, c.get("actor"));
    return c.json(await rolloutDetail(deps.store.db, id), 200);
  });

  app.openapi({ ...deleteRolloutRoute, middleware: [requireRole("admin")] }, async (c) => {
    await executor.remove(c.req.valid("param").id, c.get("actor"));
    return c.body(null, 204);
  });
}
