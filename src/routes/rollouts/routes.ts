// The rollout routes' definitions (SPEC §7 and §14): request and response schemas and the
// zod-openapi routes. Handlers are in handlers.ts.
import { createRoute, z } from "@hono/zod-openapi";
import { BATCH_STATUSES, MACHINE_STATES, ROLLOUT_STATUSES } from "../../domain/rollout-machine.ts";
import { ON_FAILURE_ACTIONS, STRATEGIES } from "../../domain/rollout-planning.ts";
import {
  Timestamp,
  bearerSecurity,
  clampedLimitQuery,
  errorResponses,
  identifier,
  pathId,
  repeatedEnum,
  jsonBody,
  jsonResponse,
} from "../common.ts";

const EXAMPLE_ROLLOUT_ID = "r-0b7e2f0a-3c1d-4e5f-8a9b-1c2d3e4f5a6b";
const EXAMPLE_RELEASE_ID = "rel-6f1c2b4e-9a51-4c3e-8f4d-2a7b9c0d1e2f";
export const DEFAULT_HEALTH_TIMEOUT_SECONDS = 300;
/** Soaks, offline thresholds: at most a year, in seconds. */
const MAX_SECONDS = 365 * 24 * 3600;
export const TRACE_DEFAULT_LIMIT = 1000;
const TRACE_MAX_LIMIT = 5000;
export const MACHINES_DEFAULT_LIMIT = 1000;
const MACHINES_MAX_LIMIT = 5000;
/** Reasons a brief batch counts per state, the most given first: failure messages can all differ. */
export const REASONS_PER_STATE = 20;

const Strategy = z.enum(STRATEGIES).openapi("RolloutStrategy", { example: "canary" });
const OnFailure = z
  .enum(ON_FAILURE_ACTIONS)
  .openapi("RolloutOnFailure", { description: "What a failed batch does to the rollout", example: "pause" });
const RolloutStatus = z.enum(ROLLOUT_STATUSES).openapi("RolloutStatus", {
  description: "`created` while its machines are being written; `scheduled` until `not_before`",
  example: "running",
});
const BatchStatus = z.enum(BATCH_STATUSES).openapi("BatchStatus", { example: "waiting_health" });
const MachineStateName = z.enum(MACHINE_STATES).openapi("RolloutMachineStateName", { example: "deploying" });

// Absent and null mean the same: v0.1 clients send `null` for options they leave unset.
const MachineName = identifier().min(1, "must not be empty").max(128, "must be at most 128 characters");
const NameList = z
  .array(MachineName)
  .min(1, "must not be empty")
  .nullish()
  .transform((v) => v ?? undefined);
const seconds = (min: number) =>
  z
    .number()
    .int("must be an integer")
    .min(min, min === 0 ? "must not be negative" : `must be at least ${min}`)
    .max(MAX_SECONDS, `must be at most ${MAX_SECONDS} (a year)`);
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;
const Reason = z.string().max(1024, "must be at most 1024 characters");

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
      .openapi({ description: "Seconds a machine has to become healthy, from its own deploy start", example: 300 }),
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
    soak_seconds: seconds(0)
      .nullish()
      .transform((v) => v ?? 0)
      .openapi({
        description: "After a batch's machines are all decided and healthy enough, it soaks this long",
        example: 0,
      }),
    batch_soak_seconds: z
      .array(seconds(0))
      .max(1000, "at most 1000 entries")
      .nullish()
      .transform((v) => v ?? null)
      .openapi({
        description: "Soak of each batch in turn, overriding soak_seconds; batches past its end use soak_seconds",
      }),
    min_decided: z
      .number()
      .int("must be an integer")
      .min(1, "must be at least 1")
      .nullish()
      .transform((v) => v ?? null)
      .openapi({
        description:
          "Judge a batch as soon as this many machines are decided and failures already exceed the threshold",
      }),
    max_in_flight: z
      .string()
      .max(32, "must be at most 32 characters")
      .nullish()
      .transform((v) => v ?? null)
      .openapi({
        description: 'Machines of the rollout deploying at once: "N" or "p%" of the batch (unlimited when absent)',
      }),
    not_before: z
      .string()
      .regex(RFC3339, "must be an RFC 3339 timestamp")
      .refine((v) => !Number.isNaN(Date.parse(v)), "must be an RFC 3339 timestamp")
      .nullish()
      .transform((v) => (v === null || v === undefined ? null : Date.parse(v)))
      .openapi({ description: "The rollout is scheduled until then", example: "2026-11-28T02:00:00Z" }),
    offline_after_seconds: seconds(1)
      .nullish()
      .transform((v) => v ?? null)
      .openapi({
        description: "A machine whose last report is older than this when it would start is skipped (offline)",
      }),
    supersede: z
      .boolean()
      .nullish()
      .transform((v) => v ?? false)
      .openapi({ description: "Take target machines from other active rollouts (they are superseded there)" }),
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
    description:
      'v0.1\'s view of a machine in its batch: "pending", "healthy" or {"unhealthy": reason} (skipped and superseded machines show "pending"; see machine_states)',
  });

// A machine's state in a rollout, as the rollout's batches and its machine pages both show it.
const MachineStateReason = z
  .string()
  .nullable()
  .openapi({ description: "Why it waits (the gate), why it is unhealthy or skipped", example: "budget:db" });
const DeployStartedAt = Timestamp.nullable().openapi({ description: "When it last started deploying" });

export const RolloutMachineState = z
  .object({
    state: MachineStateName,
    reason: MachineStateReason,
    deploy_started_at: DeployStartedAt,
  })
  .openapi("RolloutMachineState");

export const Batch = z
  .object({
    batch_index: z.number().int().openapi({ example: 0 }),
    machine_ids: z.array(z.string()).openapi({ example: ["web-01"] }),
    status: BatchStatus,
    machine_health: z.record(z.string(), MachineHealth).openapi({ example: { "web-01": "healthy" } }),
    machine_states: z
      .record(z.string(), RolloutMachineState)
      .openapi({ example: { "web-01": { state: "waiting", reason: "window:night", deploy_started_at: null } } }),
    started_at: Timestamp.nullable(),
    completed_at: Timestamp.nullable(),
    soak_until: Timestamp.nullable().openapi({ description: "While soaking: when the soak ends" }),
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
  cache_url: z.string().nullable().openapi({ example: null }),
  soak_seconds: z.number().int().openapi({ example: 0 }),
  batch_soak_seconds: z.array(z.number().int()).nullable().openapi({ example: null }),
  min_decided: z.number().int().nullable().openapi({ example: null }),
  max_in_flight: z.string().nullable().openapi({ example: null }),
  not_before: Timestamp.nullable(),
  offline_after_seconds: z.number().int().nullable().openapi({ example: null }),
  supersede: z.boolean().openapi({ example: false }),
  pause_reason: z
    .string()
    .nullable()
    .openapi({ description: "The operator's reason while paused by pause", example: null }),
  blocked_by: z.array(z.string()).openapi({
    description:
      "The gates holding the rollout now: freeze, window:<name>, budget:<name>, max_in_flight, not_before, paused",
    example: ["budget:db"],
  }),
};

export const RolloutSummary = z.object(rolloutFields).openapi("RolloutSummary");
export const Rollout = z.object({ ...rolloutFields, events: z.array(RolloutEvent) }).openapi("Rollout");

const machineCount = (example: number) => z.number().int().nonnegative().openapi({ example });
export const StateCounts = z
  .object(
    Object.fromEntries(MACHINE_STATES.map((state) => [state, machineCount(0)])) as Record<
      (typeof MACHINE_STATES)[number],
      ReturnType<typeof machineCount>
    >,
  )
  .openapi("RolloutStateCounts", {
    description: "Machines in each state",
    example: { pending: 0, waiting: 4, deploying: 2, healthy: 93, unhealthy: 1, skipped: 0, superseded: 0 },
  });

export const ReasonCount = z
  .object({
    state: MachineStateName,
    reason: z.string().openapi({ example: "budget:db" }),
    machines: machineCount(4),
  })
  .openapi("RolloutReasonCount");

export const BatchBrief = z
  .object({
    batch_index: z.number().int().openapi({ example: 0 }),
    status: BatchStatus,
    machine_count: machineCount(100),
    state_counts: StateCounts,
    reasons: z.array(ReasonCount).openapi({
      description: `Why its machines wait, failed or left, per state: the ${REASONS_PER_STATE} reasons most given in each, most first`,
    }),
    changed_count: machineCount(95).openapi({
      description:
        "Machines the rollout gave its generation, not reverted since and still in it: what an abort reverts",
    }),
    started_at: Timestamp.nullable(),
    completed_at: Timestamp.nullable(),
    soak_until: Timestamp.nullable().openapi({ description: "While soaking: when the soak ends" }),
  })
  .openapi("BatchBrief", {
    description:
      "A batch counted (`machines=none`): its machines one by one are at `GET /api/v1/rollouts/{id}/machines`",
  });

const briefFields = { ...rolloutFields, batches: z.array(BatchBrief) };
export const RolloutBriefSummary = z.object(briefFields).openapi("RolloutBriefSummary");
export const RolloutBrief = z
  .object({ ...briefFields, events: z.array(RolloutEvent) })
  .openapi("RolloutBrief", { description: "A rollout with its batches counted (`machines=none`)" });

export const RolloutView = z.union([Rollout, RolloutBrief]).openapi("RolloutView", {
  description:
    "`Rollout` (every machine of every batch: `machines=all`, the default) or `RolloutBrief` (`machines=none`)",
});
export const RolloutSummaryView = z.union([RolloutSummary, RolloutBriefSummary]).openapi("RolloutSummaryView", {
  description: "`RolloutSummary` (`machines=all`, the default) or `RolloutBriefSummary` (`machines=none`)",
});

export const RolloutMachine = z
  .object({
    machine_id: z.string().openapi({ example: "web-01" }),
    batch_index: z.number().int().openapi({ example: 0 }),
    state: MachineStateName,
    reason: MachineStateReason,
    deploy_started_at: DeployStartedAt,
    store_path: z.string().nullable().openapi({
      description: "The store path the rollout gives it (its release entry's)",
      example: "/nix/store/0c3i5jwm4cc1p2ix2ql1sd8nm3w1wmw9-nixos-system-web-01-24.11",
    }),
  })
  .openapi("RolloutMachine");

export const RolloutMachinePage = z
  .object({
    rollout_id: z.string().openapi({ example: EXAMPLE_ROLLOUT_ID }),
    machines: z.array(RolloutMachine),
    next_after: z.string().nullable().openapi({
      description: "Pass as `after` for the next page; null when this page is the last",
      example: null,
    }),
  })
  .openapi("RolloutMachinePage");

export const TraceEvent = z
  .object({
    id: z.number().int().openapi({ example: 42 }),
    timestamp: Timestamp,
    actor: z.string().openapi({ example: "executor" }),
    action: z.string().openapi({ example: "machine.waiting" }),
    target: z.string().openapi({ example: "web-01" }),
    machine_id: z.string().nullable().openapi({ description: "For a machine's transition", example: "web-01" }),
    batch_index: z.number().int().nullable().openapi({ example: 0 }),
    reason: z.string().nullable().openapi({ example: "budget:db" }),
    detail: z.string().openapi({ example: '{"batch_index":0,"from":"pending","reason":"budget:db"}' }),
  })
  .openapi("TraceEvent");

export const RolloutTrace = z
  .object({
    rollout_id: z.string().openapi({ example: EXAMPLE_ROLLOUT_ID }),
    events: z.array(TraceEvent),
    next_after: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "Pass as `after` for the next page; null when this page is the last", example: null }),
  })
  .openapi("RolloutTrace");

export const RolloutIdParams = z.object({ id: pathId("id", EXAMPLE_ROLLOUT_ID) });
export const RolloutMachineParams = z.object({
  id: pathId("id", EXAMPLE_ROLLOUT_ID),
  machine: pathId("machine", "web-01"),
});
/** `machines=all` (the default: v0.1's body, every machine of every batch) or `machines=none` (counts). */
const MachinesForm = z
  .enum(["all", "none"])
  .optional()
  .transform((v) => v ?? "all")
  .openapi({
    param: { name: "machines", in: "query" },
    description:
      "`all` (default): every machine of every batch with its state; `none`: each batch's counts by state and reason instead (`RolloutBrief`)",
    example: "none",
  });
export const RolloutFormQuery = z.object({ machines: MachinesForm });
export const ListRolloutsQuery = z.object({
  status: RolloutStatus.optional().openapi({ param: { name: "status", in: "query" } }),
  machines: MachinesForm,
});
export const RolloutMachinesQuery = z.object({
  batch: z
    .string()
    .regex(/^\d{1,6}$/, "batch must be a batch index")
    .optional()
    .transform((v) => (v === undefined ? undefined : Number(v)))
    .openapi({ param: { name: "batch", in: "query" }, description: "Only this batch's machines", example: "0" }),
  state: repeatedEnum("state", MACHINE_STATES, "Only machines in this state; repeat for any of several"),
  after: identifier("after must not contain NUL or other control characters (U+0000–U+001F)")
    .min(1, "after must not be empty")
    .max(128, "after must be at most 128 characters")
    .optional()
    .openapi({
      param: { name: "after", in: "query" },
      description: "Only machines after this one (the previous page's `next_after`)",
      example: "web-01",
    }),
  limit: clampedLimitQuery(
    MACHINES_MAX_LIMIT,
    MACHINES_DEFAULT_LIMIT,
    `Machines per page, ${MACHINES_DEFAULT_LIMIT} by default; values outside 1–${MACHINES_MAX_LIMIT} are clamped`,
    String(MACHINES_DEFAULT_LIMIT),
  ),
});
export const TraceQuery = z.object({
  after: z
    .string()
    .regex(/^\d{1,15}$/, "after must be an event id")
    .optional()
    .transform((v) => (v === undefined ? 0 : Number(v)))
    .openapi({ param: { name: "after", in: "query" }, description: "Only events after this id", example: "0" }),
  limit: clampedLimitQuery(
    TRACE_MAX_LIMIT,
    TRACE_DEFAULT_LIMIT,
    `Events per page, ${TRACE_DEFAULT_LIMIT} by default; values outside 1–${TRACE_MAX_LIMIT} are clamped`,
    String(TRACE_DEFAULT_LIMIT),
  ),
});

export const ReasonRequest = z
  .object({
    reason: Reason.nullish()
      .transform((v) => v ?? null)
      .openapi({ example: "error rate up in eu-west" }),
  })
  .openapi("ReasonRequest", { example: { reason: "error rate up in eu-west" } });
export const PromoteRequest = z
  .object({
    force: z
      .boolean()
      .nullish()
      .transform((v) => v ?? false)
      .openapi({ description: "Also skip the batch's undecided machines", example: false }),
  })
  .openapi("PromoteRequest", { example: { force: false } });

export const createRolloutRoute = createRoute({
  method: "post",
  path: "/api/v1/rollouts",
  operationId: "createRollout",
  tags: ["rollouts"],
  summary: "Start a rollout of a release to machines, batch by batch with health gates (deploy role)",
  security: bearerSecurity,
  request: { body: jsonBody(CreateRolloutRequest) },
  responses: {
    201: jsonResponse(CreatedRollout, "The rollout was planned and is running (or scheduled)"),
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
    200: jsonResponse(z.array(RolloutSummaryView), "The rollouts"),
    ...errorResponses(400, 401, 403),
  },
});

/** A read of one rollout, or of a part of it (`path` below it), answered with `schema`. */
function rolloutReadRoute<Query extends z.ZodObject, Schema extends z.ZodType>(read: {
  path: string;
  operationId: string;
  summary: string;
  query: Query;
  description: string;
  schema: Schema;
}) {
  return createRoute({
    method: "get",
    path: `/api/v1/rollouts/{id}${read.path}`,
    operationId: read.operationId,
    tags: ["rollouts"],
    summary: read.summary,
    security: bearerSecurity,
    request: { params: RolloutIdParams, query: read.query },
    responses: {
      200: jsonResponse(read.schema, read.description),
      ...errorResponses(400, 401, 403, 404),
    },
  });
}

export const getRolloutRoute = rolloutReadRoute({
  path: "",
  operationId: "getRollout",
  summary: "One rollout: its batches with each machine's state and reason (or counted), what blocks it, its events",
  query: RolloutFormQuery,
  description: "The rollout",
  schema: RolloutView,
});

export const listRolloutMachinesRoute = rolloutReadRoute({
  path: "/machines",
  operationId: "listRolloutMachines",
  summary: "A rollout's machines with their state and reason, batch by batch in the order they start (paged)",
  query: RolloutMachinesQuery,
  description: "A page of the rollout's machines",
  schema: RolloutMachinePage,
});

export const traceRolloutRoute = rolloutReadRoute({
  path: "/trace",
  operationId: "getRolloutTrace",
  summary: "Every transition of the rollout and of each of its machines, in order (paged)",
  query: TraceQuery,
  description: "A page of the rollout's transitions",
  schema: RolloutTrace,
});

/** A verb on a rollout (deploy role), answered with the rollout (`?machines=none`: counted). */
function verbRoute(verb: string, operationId: string, summary: string) {
  return createRoute({
    method: "post",
    path: `/api/v1/rollouts/{id}/${verb}`,
    operationId,
    tags: ["rollouts"],
    summary,
    security: bearerSecurity,
    request: { params: RolloutIdParams, query: RolloutFormQuery },
    responses: {
      200: jsonResponse(RolloutView, "The rollout after the verb"),
      ...errorResponses(400, 401, 403, 404, 409, 413),
    },
  });
}

export const resumeRolloutRoute = verbRoute(
  "resume",
  "resumeRollout",
  "Resume a paused rollout: a failed batch starts again, an operator-paused one carries on (deploy role)",
);
export const cancelRolloutRoute = verbRoute(
  "cancel",
  "cancelRollout",
  "Cancel a rollout; machines keep the generation they were given (deploy role)",
);
export const pauseRolloutRoute = createRoute({
  ...verbRoute("pause", "pauseRollout", "Pause a running rollout: no further machine starts (deploy role)"),
  request: { params: RolloutIdParams, query: RolloutFormQuery, body: jsonBody(ReasonRequest, false) },
});
export const promoteRolloutRoute = createRoute({
  ...verbRoute(
    "promote",
    "promoteRollout",
    "End the current batch's soak and start the next batch now; force skips its undecided machines (deploy role)",
  ),
  request: { params: RolloutIdParams, query: RolloutFormQuery, body: jsonBody(PromoteRequest, false) },
});
export const abortRolloutRoute = createRoute({
  ...verbRoute(
    "abort",
    "abortRollout",
    "Abort a rollout: every machine it changed gets its previous desired generation back (deploy role)",
  ),
  request: { params: RolloutIdParams, query: RolloutFormQuery, body: jsonBody(ReasonRequest, false) },
});
export const retryRolloutRoute = verbRoute(
  "retry",
  "retryRollout",
  "Re-deploy only the unhealthy machines of the failed batch of a paused rollout (deploy role)",
);

export const skipMachineRoute = createRoute({
  method: "post",
  path: "/api/v1/rollouts/{id}/machines/{machine}/skip",
  operationId: "skipRolloutMachine",
  tags: ["rollouts"],
  summary: "Skip an undecided machine: it leaves the rollout and keeps what it runs (deploy role)",
  security: bearerSecurity,
  request: { params: RolloutMachineParams, query: RolloutFormQuery, body: jsonBody(ReasonRequest, false) },
  responses: {
    200: jsonResponse(RolloutView, "The rollout after the skip"),
    ...errorResponses(400, 401, 403, 404, 409, 413),
  },
});

export const deleteRolloutRoute = createRoute({
  method: "delete",
  path: "/api/v1/rollouts/{id}",
  operationId: "deleteRollout",
  tags: ["rollouts"],
  summary: "Delete a finished (completed, failed, cancelled or aborted) rollout (admin role)",
  security: bearerSecurity,
  request: { params: RolloutIdParams },
  responses: {
    204: { description: "The rollout, its batches, machines and events were deleted" },
    ...errorResponses(400, 401, 403, 404, 409),
  },
});
