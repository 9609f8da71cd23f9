// The rollout routes' handlers: validation beyond the schemas, calls into the executor, and the
// mapping of stored rows into the response schemas.
import type { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv, RouteContext } from "../../context.ts";
import type { DbOrTx } from "../../db/database.ts";
import {
  batchesOf,
  eventsOf,
  findRollout,
  listRollouts,
  machinesOf,
  traceOf,
  type RolloutMachineRow,
  type RolloutRow,
} from "../../db/rollouts.ts";
import {
  effectiveBatchSizes,
  parseBatchSizes,
  parseFailureThreshold,
  parseQuantity,
  type Target,
} from "../../domain/rollout-planning.ts";
import { badRequest, notFound } from "../../errors.ts";
import { toTimestamp } from "../common.ts";
import {
  MachineHealth,
  Rollout,
  RolloutSummary,
  abortRolloutRoute,
  cancelRolloutRoute,
  createRolloutRoute,
  deleteRolloutRoute,
  getRolloutRoute,
  listRolloutsRoute,
  pauseRolloutRoute,
  promoteRolloutRoute,
  resumeRolloutRoute,
  retryRolloutRoute,
  skipMachineRoute,
  traceRolloutRoute,
  type PromoteRequest,
  type ReasonRequest,
} from "./routes.ts";

type RolloutSummaryBody = z.infer<typeof RolloutSummary>;
type RolloutBody = z.infer<typeof Rollout>;

/** v0.1's view of a machine: skipped and superseded machines left the batch, so they show what they were not decided as. */
function machineHealth(row: RolloutMachineRow): z.infer<typeof MachineHealth> {
  if (row.state === "unhealthy") return { unhealthy: row.reason ?? "unhealthy" };
  return row.state === "healthy" ? "healthy" : "pending";
}

/** The gates holding a rollout now: its own status's, and the reasons its waiting machines show. */
function blockedBy(row: RolloutRow, machines: readonly RolloutMachineRow[]): string[] {
  const gates = new Set<string>();
  if (row.status === "scheduled") gates.add("not_before");
  if (row.status === "paused") gates.add("paused");
  if (row.status === "scheduled" || row.status === "running" || row.status === "paused") {
    for (const m of machines) if (m.state === "waiting" && m.reason !== null) gates.add(m.reason);
  }
  return [...gates].sort();
}

/** The rollouts with their batches and per-machine state, in the order given. */
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
      machine_states: {},
      started_at: toTimestamp(b.startedAt),
      completed_at: toTimestamp(b.completedAt),
      soak_until: toTimestamp(b.soakUntil),
    });
    batches.set(b.rolloutId, list);
  }
  const machinesByRollout = new Map<string, RolloutMachineRow[]>();
  for (const m of machineRows) {
    const batch = batches.get(m.rolloutId)?.[m.batchIndex];
    if (!batch) continue;
    batch.machine_ids.push(m.machineId);
    batch.machine_health[m.machineId] = machineHealth(m);
    batch.machine_states[m.machineId] = {
      state: m.state,
      reason: m.reason,
      deploy_started_at: toTimestamp(m.deployStartedAt),
    };
    const own = machinesByRollout.get(m.rolloutId);
    if (own) own.push(m);
    else machinesByRollout.set(m.rolloutId, [m]);
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
    cache_url: r.cacheUrl,
    soak_seconds: r.soakSeconds,
    batch_soak_seconds: r.batchSoakSeconds === null ? null : (JSON.parse(r.batchSoakSeconds) as number[]),
    min_decided: r.minDecided,
    max_in_flight: r.maxInFlight,
    not_before: toTimestamp(r.notBefore),
    offline_after_seconds: r.offlineAfterSeconds,
    supersede: r.supersede,
    pause_reason: r.pauseReason,
    blocked_by: blockedBy(r, machinesByRollout.get(r.id) ?? []),
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

/** The body of an optional-body verb: `{}` when none was sent. */
function optional<T>(body: T | undefined, fallback: T): T {
  return body ?? fallback;
}

function detailField(detail: unknown, name: string): unknown {
  return detail !== null && typeof detail === "object" ? (detail as Record<string, unknown>)[name] : undefined;
}

/** Registers the rollout routes (SPEC §7, §14). */
export function registerRolloutRoutes(app: OpenAPIHono<AppEnv>, { deps, requireRole }: RouteContext): void {
  const executor = deps.rolloutExecutor;
  const db = deps.store.db;

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
    if (body.max_in_flight !== null) {
      const maxInFlight = parseQuantity(body.max_in_flight);
      if (!maxInFlight.ok) throw badRequest(`max_in_flight: ${maxInFlight.error}`);
      const none =
        maxInFlight.value.kind === "count" ? maxInFlight.value.count === 0 : maxInFlight.value.numerator === 0;
      if (none) throw badRequest("max_in_flight: must let at least one machine deploy");
    }
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
      soakSeconds: body.soak_seconds,
      batchSoakSeconds: body.batch_soak_seconds,
      minDecided: body.min_decided,
      maxInFlight: body.max_in_flight,
      notBefore: body.not_before,
      offlineAfterSeconds: body.offline_after_seconds,
      supersede: body.supersede,
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
    return c.json(await rolloutSummaries(db, await listRollouts(db, status)), 200);
  });

  app.openapi({ ...getRolloutRoute, middleware: [requireRole("readonly")] }, async (c) => {
    return c.json(await rolloutDetail(db, c.req.valid("param").id), 200);
  });

  app.openapi({ ...traceRolloutRoute, middleware: [requireRole("readonly")] }, async (c) => {
    const { id } = c.req.valid("param");
    const { after, limit } = c.req.valid("query");
    if (!(await findRollout(db, id))) throw notFound(`rollout ${id} not found`);
    const rows = await traceOf(db, id, after, limit + 1);
    const page = rows.slice(0, limit);
    const events = page.map((row) => {
      let detail: unknown = null;
      try {
        detail = JSON.parse(row.detail);
      } catch {
        // A detail that is not JSON carries no fields to show apart.
      }
      const batchIndex = detailField(detail, "batch_index");
      const reason = detailField(detail, "reason");
      return {
        id: row.id,
        timestamp: toTimestamp(row.timestamp),
        actor: row.actor,
        action: row.action,
        target: row.target,
        machine_id: row.action.startsWith("machine.") ? row.target : null,
        batch_index: typeof batchIndex === "number" ? batchIndex : null,
        reason: typeof reason === "string" ? reason : null,
        detail: row.detail,
      };
    });
    return c.json({ rollout_id: id, events, next_after: rows.length > limit ? page.at(-1)!.id : null }, 200);
  });

  app.openapi({ ...resumeRolloutRoute, middleware: [requireRole("deploy")] }, async (c) => {
    const { id } = c.req.valid("param");
    await executor.verb(id, { kind: "resume", actor: c.get("actor") });
    return c.json(await rolloutDetail(db, id), 200);
  });

  app.openapi({ ...cancelRolloutRoute, middleware: [requireRole("deploy")] }, async (c) => {
    const { id } = c.req.valid("param");
    await executor.verb(id, { kind: "cancel", actor: c.get("actor") });
    return c.json(await rolloutDetail(db, id), 200);
  });

  app.openapi({ ...pauseRolloutRoute, middleware: [requireRole("deploy")] }, async (c) => {
    const { id } = c.req.valid("param");
    const { reason } = optional(c.req.valid("json") as z.infer<typeof ReasonRequest> | undefined, { reason: null });
    await executor.verb(id, { kind: "pause", actor: c.get("actor"), reason });
    return c.json(await rolloutDetail(db, id), 200);
  });

  app.openapi({ ...promoteRolloutRoute, middleware: [requireRole("deploy")] }, async (c) => {
    const { id } = c.req.valid("param");
    const { force } = optional(c.req.valid("json") as z.infer<typeof PromoteRequest> | undefined, { force: false });
    await executor.verb(id, { kind: "promote", actor: c.get("actor"), force });
    return c.json(await rolloutDetail(db, id), 200);
  });

  app.openapi({ ...abortRolloutRoute, middleware: [requireRole("deploy")] }, async (c) => {
    const { id } = c.req.valid("param");
    const { reason } = optional(c.req.valid("json") as z.infer<typeof ReasonRequest> | undefined, { reason: null });
    await executor.verb(id, { kind: "abort", actor: c.get("actor"), reason });
    return c.json(await rolloutDetail(db, id), 200);
  });

  app.openapi({ ...retryRolloutRoute, middleware: [requireRole("deploy")] }, async (c) => {
    const { id } = c.req.valid("param");
    await executor.verb(id, { kind: "retry", actor: c.get("actor") });
    return c.json(await rolloutDetail(db, id), 200);
  });

  app.openapi({ ...skipMachineRoute, middleware: [requireRole("deploy")] }, async (c) => {
    const { id, machine } = c.req.valid("param");
    const { reason } = optional(c.req.valid("json") as z.infer<typeof ReasonRequest> | undefined, { reason: null });
    await executor.skip(id, machine, c.get("actor"), reason);
    return c.json(await rolloutDetail(db, id), 200);
  });

  app.openapi({ ...deleteRolloutRoute, middleware: [requireRole("admin")] }, async (c) => {
    await executor.remove(c.req.valid("param").id, c.get("actor"));
    return c.body(null, 204);
  });
}
