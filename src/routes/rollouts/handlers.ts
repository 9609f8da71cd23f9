// The rollout routes' handlers: validation beyond the schemas, calls into the executor, and the
// mapping of stored rows into the response schemas (the rollout reads' bodies in bodies.ts).
import type { OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv, RouteContext } from "../../context.ts";
import type { DbOrTx } from "../../db/database.ts";
import {
  batchesOf,
  eventsOf,
  findRollout,
  FIRST_MACHINE_KEY,
  listRollouts,
  rolloutMachineKey,
  rolloutMachinesChunk,
  traceOf,
  type RolloutMachineView,
  type RolloutRow,
} from "../../db/rollouts.ts";
import {
  effectiveBatchSizes,
  parseBatchSizes,
  parseFailureThreshold,
  parseQuantity,
  type Target,
} from "../../domain/rollout-planning.ts";
import { toTimestamp } from "../../domain/time.ts";
import { badRequest, notFound } from "../../errors.ts";
import { yieldToEventLoop } from "../../event-loop.ts";
import type { Logger } from "../../logger.ts";
import {
  briefRollout,
  fullRollout,
  MACHINES_PER_PAGE,
  MACHINES_PER_SCAN,
  streamedJson,
  type RolloutHead,
} from "./bodies.ts";
import {
  abortRolloutRoute,
  cancelRolloutRoute,
  createRolloutRoute,
  deleteRolloutRoute,
  getRolloutRoute,
  listRolloutMachinesRoute,
  listRolloutsRoute,
  pauseRolloutRoute,
  promoteRolloutRoute,
  resumeRolloutRoute,
  retryRolloutRoute,
  skipMachineRoute,
  traceRolloutRoute,
  type PromoteRequest,
  type ReasonRequest,
  type RolloutFormQuery,
  type RolloutMachine,
} from "./routes.ts";

/** The form a rollout read answers in: `all` (v0.1's body, the default) or `none` (the brief form). */
type MachinesForm = z.infer<typeof RolloutFormQuery>["machines"];

/** One rollout with its batches and events, before its machines; 404 when unknown. */
async function rolloutHead(db: DbOrTx, id: string): Promise<RolloutHead> {
  const row = await findRollout(db, id);
  if (!row) throw notFound(`rollout ${id} not found`);
  const [batches, events] = await Promise.all([batchesOf(db, [id]), eventsOf(db, id)]);
  return { row, batches, events };
}

/**
 * The answer of a rollout read or verb: v0.1's full body streamed (`machines=all`), or the brief
 * one (`machines=none`); either is built with turns of the event loop between slices of machines.
 */
async function rolloutAnswer(c: Context<AppEnv>, db: DbOrTx, logger: Logger, id: string, machines: MachinesForm) {
  const head = await rolloutHead(db, id);
  // The typed-response check cannot see into a stream: the body is the route's own schema.
  if (machines === "none") return c.json(await briefRollout(db, head), 200) as never;
  return streamedJson(fullRollout(db, head), logger, `rollout ${id}`) as never;
}

/** The rollouts' list, a rollout after another, each in the form asked for (without events). */
async function* rolloutList(db: DbOrTx, rows: readonly RolloutRow[], machines: MachinesForm): AsyncGenerator<string> {
  yield "[";
  for (const [n, row] of rows.entries()) {
    if (n > 0) yield ",";
    const head = { row, batches: await batchesOf(db, [row.id]), events: null };
    if (machines === "none") yield JSON.stringify(await briefRollout(db, head));
    else yield* fullRollout(db, head);
  }
  yield "]";
}

function toRolloutMachine(m: RolloutMachineView): z.infer<typeof RolloutMachine> {
  return {
    machine_id: m.machineId,
    batch_index: m.batchIndex,
    state: m.state,
    reason: m.reason,
    deploy_started_at: toTimestamp(m.deployStartedAt),
    store_path: m.storePath,
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
  const logger = deps.logger;

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
    const { status, machines } = c.req.valid("query");
    // Read before the answer starts, so a database in trouble is still a 503.
    const rows = await listRollouts(db, status);
    return streamedJson(rolloutList(db, rows, machines), logger, "rollout list") as never;
  });

  app.openapi({ ...getRolloutRoute, middleware: [requireRole("readonly")] }, async (c) => {
    return rolloutAnswer(c, db, logger, c.req.valid("param").id, c.req.valid("query").machines);
  });

  app.openapi({ ...listRolloutMachinesRoute, middleware: [requireRole("readonly")] }, async (c) => {
    const { id } = c.req.valid("param");
    const { batch, state, after, limit } = c.req.valid("query");
    const row = await findRollout(db, id);
    if (!row) throw notFound(`rollout ${id} not found`);
    if (batch !== undefined && !(await batchesOf(db, [id])).some((b) => b.batchIndex === batch)) {
      throw notFound(`rollout ${id} has no batch ${batch}`);
    }
    let key = FIRST_MACHINE_KEY;
    if (after !== undefined) {
      const afterKey = await rolloutMachineKey(db, id, after);
      if (!afterKey) throw badRequest(`after: machine ${after} is not in rollout ${id}`);
      key = afterKey;
    }
    // One more than asked, to know whether a page follows; a rare state is looked for a
    // bounded slice per query, with turns of the event loop between.
    const found: RolloutMachineView[] = [];
    for (;;) {
      const chunk = await rolloutMachinesChunk(db, row, {
        after: key,
        scan: state.length > 0 ? MACHINES_PER_SCAN : MACHINES_PER_PAGE,
        batch,
        states: state,
        storePaths: true,
      });
      found.push(...chunk.machines);
      if (found.length > limit || chunk.last === null) break;
      key = chunk.last;
      await yieldToEventLoop();
    }
    const page = found.slice(0, limit);
    return c.json(
      {
        rollout_id: id,
        machines: page.map(toRolloutMachine),
        next_after: found.length > limit ? page.at(-1)!.machineId : null,
      },
      200,
    );
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
    return rolloutAnswer(c, db, logger, id, c.req.valid("query").machines);
  });

  app.openapi({ ...cancelRolloutRoute, middleware: [requireRole("deploy")] }, async (c) => {
    const { id } = c.req.valid("param");
    await executor.verb(id, { kind: "cancel", actor: c.get("actor") });
    return rolloutAnswer(c, db, logger, id, c.req.valid("query").machines);
  });

  app.openapi({ ...pauseRolloutRoute, middleware: [requireRole("deploy")] }, async (c) => {
    const { id } = c.req.valid("param");
    const { reason } = optional(c.req.valid("json") as z.infer<typeof ReasonRequest> | undefined, { reason: null });
    await executor.verb(id, { kind: "pause", actor: c.get("actor"), reason });
    return rolloutAnswer(c, db, logger, id, c.req.valid("query").machines);
  });

  app.openapi({ ...promoteRolloutRoute, middleware: [requireRole("deploy")] }, async (c) => {
    const { id } = c.req.valid("param");
    const { force } = optional(c.req.valid("json") as z.infer<typeof PromoteRequest> | undefined, { force: false });
    await executor.verb(id, { kind: "promote", actor: c.get("actor"), force });
    return rolloutAnswer(c, db, logger, id, c.req.valid("query").machines);
  });

  app.openapi({ ...abortRolloutRoute, middleware: [requireRole("deploy")] }, async (c) => {
    const { id } = c.req.valid("param");
    const { reason } = optional(c.req.valid("json") as z.infer<typeof ReasonRequest> | undefined, { reason: null });
    await executor.verb(id, { kind: "abort", actor: c.get("actor"), reason });
    return rolloutAnswer(c, db, logger, id, c.req.valid("query").machines);
  });

  app.openapi({ ...retryRolloutRoute, middleware: [requireRole("deploy")] }, async (c) => {
    const { id } = c.req.valid("param");
    await executor.verb(id, { kind: "retry", actor: c.get("actor") });
    return rolloutAnswer(c, db, logger, id, c.req.valid("query").machines);
  });

  app.openapi({ ...skipMachineRoute, middleware: [requireRole("deploy")] }, async (c) => {
    const { id, machine } = c.req.valid("param");
    const { reason } = optional(c.req.valid("json") as z.infer<typeof ReasonRequest> | undefined, { reason: null });
    await executor.skip(id, machine, c.get("actor"), reason);
    return rolloutAnswer(c, db, logger, id, c.req.valid("query").machines);
  });

  app.openapi({ ...deleteRolloutRoute, middleware: [requireRole("admin")] }, async (c) => {
    await executor.remove(c.req.valid("param").id, c.get("actor"));
    return c.body(null, 204);
  });
}
