import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv, RouteContext } from "../context.ts";
import { fleetCounts } from "../db/fleet.ts";
import { ACTIVE_ROLLOUT_STATUSES, countRolloutsByStatus, ROLLOUT_STATUSES } from "../db/rollouts.ts";
import { LIFECYCLES } from "../domain/lifecycle.ts";
import { SYSTEM_STATES } from "../domain/machines.ts";
import { toTimestamp } from "../domain/time.ts";
import { bearerSecurity, errorResponses, jsonResponse, Timestamp } from "./common.ts";

/** An agent silent this long counts as stale unless the caller says otherwise (ten missed one-minute polls). */
export const DEFAULT_STALE_AFTER_SECONDS = 600;
const MAX_STALE_AFTER_SECONDS = 30 * 24 * 3600;

const counts = <const K extends readonly string[]>(keys: K) =>
  z.object(Object.fromEntries(keys.map((key) => [key, z.int()])) as { [P in K[number]]: z.ZodInt });

const StateCounts = counts(SYSTEM_STATES).openapi("SystemStateCounts");

export const FleetSummary = z
  .object({
    machines: z.int().openapi({ description: "Registered machines, whatever their lifecycle", example: 100000 }),
    by_lifecycle: counts(LIFECYCLES).openapi("LifecycleCounts"),
    by_system_state: StateCounts,
    by_lifecycle_and_state: z
      .object(
        Object.fromEntries(LIFECYCLES.map((l) => [l, StateCounts])) as Record<
          (typeof LIFECYCLES)[number],
          typeof StateCounts
        >,
      )
      .openapi({ description: "Machines per lifecycle, split by system state" }),
    stale: z.int().openapi({
      description: "Machines (not decommissioned) that have reported, but not within `stale_after_seconds`",
    }),
    stale_after_seconds: z.int().openapi({ example: DEFAULT_STALE_AFTER_SECONDS }),
    behind_desired: z.int().openapi({
      description: "Machines (not decommissioned) whose last reported generation is not their desired generation",
    }),
    rollouts: z.object({
      active: z.int().openapi({ description: "Rollouts holding their machines (not finished)" }),
      by_status: counts(ROLLOUT_STATUSES).openapi("RolloutStatusCounts"),
    }),
    generated_at: Timestamp,
  })
  .openapi("FleetSummary");

const FleetSummaryQuery = z.object({
  stale_after: z
    .string()
    .regex(/^\d+$/, "stale_after must be a whole number of seconds")
    .optional()
    .openapi({
      param: { name: "stale_after", in: "query" },
      description: `Seconds of silence after which an agent counts as stale (default ${DEFAULT_STALE_AFTER_SECONDS}; clamped to 1–${MAX_STALE_AFTER_SECONDS})`,
      example: String(DEFAULT_STALE_AFTER_SECONDS),
    })
    .transform((value) =>
      value === undefined ? DEFAULT_STALE_AFTER_SECONDS : Math.min(MAX_STALE_AFTER_SECONDS, Math.max(1, Number(value))),
    ),
});

export const getFleetSummary = createRoute({
  method: "get",
  path: "/api/v1/fleet/summary",
  operationId: "getFleetSummary",
  tags: ["fleet"],
  summary: "Fleet overview: machines by lifecycle and system state, stale agents, machines behind, rollouts",
  security: bearerSecurity,
  request: { query: FleetSummaryQuery },
  responses: {
    200: jsonResponse(FleetSummary, "The summary"),
    ...errorResponses(400, 401, 403),
  },
});

const zeroes = <K extends string>(keys: readonly K[]) =>
  Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number>;

/** Registers `GET /api/v1/fleet/summary`. */
export function registerFleetRoutes(app: OpenAPIHono<AppEnv>, { deps, requireRole }: RouteContext): void {
  app.openapi({ ...getFleetSummary, middleware: [requireRole("readonly")] }, async (c) => {
    const { stale_after } = c.req.valid("query");
    const now = deps.now();
    const [fleet, rollouts] = await Promise.all([
      fleetCounts(deps.store.db, now - stale_after * 1000),
      countRolloutsByStatus(deps.store.db),
    ]);
    const byLifecycle = zeroes(LIFECYCLES);
    const byState = zeroes(SYSTEM_STATES);
    const matrix = Object.fromEntries(LIFECYCLES.map((l) => [l, zeroes(SYSTEM_STATES)])) as Record<
      (typeof LIFECYCLES)[number],
      Record<(typeof SYSTEM_STATES)[number], number>
    >;
    for (const cell of fleet.cells) {
      byLifecycle[cell.lifecycle] += cell.machines;
      byState[cell.state] += cell.machines;
      matrix[cell.lifecycle][cell.state] += cell.machines;
    }
    const byStatus = zeroes(ROLLOUT_STATUSES);
    for (const row of rollouts) byStatus[row.status] = row.n;
    return c.json(
      {
        machines: Object.values(byLifecycle).reduce((a, b) => a + b, 0),
        by_lifecycle: byLifecycle,
        by_system_state: byState,
        by_lifecycle_and_state: matrix,
        stale: fleet.stale,
        stale_after_seconds: stale_after,
        behind_desired: fleet.behindDesired,
        rollouts: {
          active: ACTIVE_ROLLOUT_STATUSES.reduce((sum, status) => sum + byStatus[status], 0),
          by_status: byStatus,
        },
        generated_at: toTimestamp(now),
      },
      200,
    );
  });
}
