// Fleet-wide gates (SPEC §14.3): disruption budgets, maintenance windows and the freeze. Admin to
// change, readonly to read; every change is audited and every active rollout looks again at once.
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv, RouteContext } from "../context.ts";
import { recordAudit } from "../db/audit.ts";
import {
  clearFreeze,
  deleteBudget,
  deleteWindow,
  listBudgets,
  listWindows,
  putBudget,
  putWindow,
  setFreeze,
  type BudgetRow,
  type WindowRow,
} from "../db/gates.ts";
import { cronProblem, isTimeZone, windowState } from "../domain/gates.ts";
import { TAG_PATTERN } from "../domain/machines.ts";
import { parseQuantity } from "../domain/rollout-planning.ts";
import { toTimestamp } from "../domain/time.ts";
import { badRequest, notFound } from "../errors.ts";
import type { GateState } from "../services/gate-state.ts";
import { bearerSecurity, errorResponses, jsonBody, jsonResponse, Timestamp } from "./common.ts";

const MAX_TAGS = 64;
const MAX_CRON_EXPRESSIONS = 32;
const MAX_DURATION_MINUTES = 366 * 24 * 60;
const FREEZE_TARGET = "freeze";

const Tag = z
  .string()
  .regex(TAG_PATTERN, "a tag is 1-64 characters of letters, digits, '.', '_', ':' or '-'")
  .openapi({ example: "db" });
const Tags = z
  .array(Tag)
  .max(MAX_TAGS, `at most ${MAX_TAGS} tags`)
  .openapi({
    description: "The gate applies to machines having all these tags (none: every machine)",
    example: ["db"],
  });

const GateName = (example: string) =>
  z
    .string()
    .regex(TAG_PATTERN, "name must be 1-64 characters of letters, digits, '.', '_', ':' or '-'")
    .openapi({ param: { name: "name", in: "path" }, example });

const PutBudgetRequest = z
  .object({
    tags: Tags,
    max_unavailable: z
      .string()
      .max(32, "must be at most 32 characters")
      .openapi({ description: '"N" machines, or "p%" of the active machines having the tags', example: "2" }),
  })
  .openapi("PutBudgetRequest", { example: { tags: ["db"], max_unavailable: "2" } });

export const Budget = z
  .object({
    name: z.string().openapi({ example: "db" }),
    tags: z.array(z.string()).openapi({ example: ["db"] }),
    max_unavailable: z.string().openapi({ example: "10%" }),
    limit: z.number().int().openapi({ description: "max_unavailable as a count now", example: 3 }),
    in_flight: z
      .number()
      .int()
      .openapi({ description: "Machines having the tags deploying now, across all active rollouts", example: 1 }),
    updated_at: Timestamp,
    updated_by: z.string().openapi({ example: "apikey:admin" }),
  })
  .openapi("Budget");

const PutWindowRequest = z
  .object({
    tags: Tags,
    cron: z
      .array(z.string().max(256, "must be at most 256 characters"))
      .min(1, "must not be empty")
      .max(MAX_CRON_EXPRESSIONS, `at most ${MAX_CRON_EXPRESSIONS} expressions`)
      .openapi({ description: "5-field cron expressions; the window opens at each match", example: ["0 2 * * 1-5"] }),
    duration_minutes: z
      .number()
      .int("must be an integer")
      .min(1, "must be at least 1")
      .max(MAX_DURATION_MINUTES, `must be at most ${MAX_DURATION_MINUTES}`)
      .openapi({ example: 120 }),
    timezone: z
      .string()
      .max(64, "must be at most 64 characters")
      .nullish()
      .transform((v) => v ?? "UTC")
      .openapi({
        description: "IANA time zone the cron expressions are read in (default UTC)",
        example: "Europe/Berlin",
      }),
  })
  .openapi("PutWindowRequest", {
    example: { tags: ["db"], cron: ["0 2 * * 1-5"], duration_minutes: 120, timezone: "Europe/Berlin" },
  });

export const MaintenanceWindow = z
  .object({
    name: z.string().openapi({ example: "db-nights" }),
    tags: z.array(z.string()).openapi({ example: ["db"] }),
    cron: z.array(z.string()).openapi({ example: ["0 2 * * 1-5"] }),
    duration_minutes: z.number().int().openapi({ example: 120 }),
    timezone: z.string().openapi({ example: "Europe/Berlin" }),
    open: z.boolean().openapi({ description: "Open now" }),
    changes_at: Timestamp.nullable().openapi({
      description: "Closed: when it next opens. Open: the end of the span it is in (a later match may extend it)",
    }),
    updated_at: Timestamp,
    updated_by: z.string().openapi({ example: "apikey:admin" }),
  })
  .openapi("MaintenanceWindow");

const FreezeRequest = z
  .object({
    reason: z
      .string()
      .min(1, "must not be empty")
      .max(1024, "must be at most 1024 characters")
      .openapi({ example: "incident 42: no deploys" }),
  })
  .openapi("FreezeRequest", { example: { reason: "incident 42: no deploys" } });

export const Freeze = z
  .object({
    frozen: z.boolean(),
    reason: z.string().nullable().openapi({ example: "incident 42: no deploys" }),
    set_at: Timestamp.nullable(),
    set_by: z.string().nullable().openapi({ example: "apikey:admin" }),
  })
  .openapi("Freeze");

const BudgetParams = z.object({ name: GateName("db") });
const WindowParams = z.object({ name: GateName("db-nights") });

export const listBudgetsRoute = createRoute({
  method: "get",
  path: "/api/v1/budgets",
  operationId: "listBudgets",
  tags: ["gates"],
  summary: "Disruption budgets, with their limit and machines in flight now",
  security: bearerSecurity,
  responses: {
    200: jsonResponse(z.array(Budget), "The budgets by name"),
    ...errorResponses(401, 403),
  },
});

export const putBudgetRoute = createRoute({
  method: "put",
  path: "/api/v1/budgets/{name}",
  operationId: "replaceBudget",
  tags: ["gates"],
  summary: "Create or replace a disruption budget, summed over every active rollout (admin role)",
  security: bearerSecurity,
  request: { params: BudgetParams, body: jsonBody(PutBudgetRequest) },
  responses: { 200: jsonResponse(Budget, "The budget"), ...errorResponses(400, 401, 403, 413) },
});

export const deleteBudgetRoute = createRoute({
  method: "delete",
  path: "/api/v1/budgets/{name}",
  operationId: "deleteBudget",
  tags: ["gates"],
  summary: "Delete a disruption budget (admin role)",
  security: bearerSecurity,
  request: { params: BudgetParams },
  responses: { 204: { description: "Deleted" }, ...errorResponses(400, 401, 403, 404) },
});

export const listWindowsRoute = createRoute({
  method: "get",
  path: "/api/v1/windows",
  operationId: "listWindows",
  tags: ["gates"],
  summary: "Maintenance windows, with whether each is open now",
  security: bearerSecurity,
  responses: {
    200: jsonResponse(z.array(MaintenanceWindow), "The windows by name"),
    ...errorResponses(401, 403),
  },
});

export const putWindowRoute = createRoute({
  method: "put",
  path: "/api/v1/windows/{name}",
  operationId: "replaceWindow",
  tags: ["gates"],
  summary: "Create or replace a maintenance window (admin role)",
  security: bearerSecurity,
  request: { params: WindowParams, body: jsonBody(PutWindowRequest) },
  responses: {
    200: jsonResponse(MaintenanceWindow, "The window"),
    ...errorResponses(400, 401, 403, 413),
  },
});

export const deleteWindowRoute = createRoute({
  method: "delete",
  path: "/api/v1/windows/{name}",
  operationId: "deleteWindow",
  tags: ["gates"],
  summary: "Delete a maintenance window (admin role)",
  security: bearerSecurity,
  request: { params: WindowParams },
  responses: { 204: { description: "Deleted" }, ...errorResponses(400, 401, 403, 404) },
});

export const getFreezeRoute = createRoute({
  method: "get",
  path: "/api/v1/freeze",
  operationId: "getFreeze",
  tags: ["gates"],
  summary: "Whether the fleet is frozen, and why",
  security: bearerSecurity,
  responses: { 200: jsonResponse(Freeze, "The freeze"), ...errorResponses(401, 403) },
});

export const putFreezeRoute = createRoute({
  method: "put",
  path: "/api/v1/freeze",
  operationId: "updateFreeze",
  tags: ["gates"],
  summary: "Freeze the fleet: no machine anywhere starts deploying; running batches are still judged (admin role)",
  security: bearerSecurity,
  request: { body: jsonBody(FreezeRequest) },
  responses: { 200: jsonResponse(Freeze, "The freeze"), ...errorResponses(400, 401, 403, 413) },
});

export const deleteFreezeRoute = createRoute({
  method: "delete",
  path: "/api/v1/freeze",
  operationId: "clearFreeze",
  tags: ["gates"],
  summary: "Lift the freeze (admin role; a no-op when not frozen)",
  security: bearerSecurity,
  responses: { 204: { description: "Not frozen (any more)" }, ...errorResponses(401, 403) },
});

/** Registers the gate routes (SPEC §14.3). */
export function registerGateRoutes(app: OpenAPIHono<AppEnv>, { deps, requireRole }: RouteContext): void {
  const executor = deps.rolloutExecutor;
  const db = deps.store.db;

  // The gates as they are now (read from the database on a process that does not lead).
  const budgetBody = (gates: GateState, row: BudgetRow): z.infer<typeof Budget> => {
    const loaded = gates.budgetList().find((b) => b.name === row.name);
    return {
      name: row.name,
      tags: JSON.parse(row.tags) as string[],
      max_unavailable: row.maxUnavailable,
      limit: loaded?.limit ?? 0,
      in_flight: gates.budgetInFlight().get(row.name) ?? 0,
      updated_at: toTimestamp(row.updatedAt),
      updated_by: row.updatedBy,
    };
  };
  const windowBody = (row: WindowRow): z.infer<typeof MaintenanceWindow> => {
    const tags = JSON.parse(row.tags) as string[];
    const cron = JSON.parse(row.cron) as string[];
    const state = windowState(
      { name: row.name, tags, cron, durationMinutes: row.durationMinutes, timezone: row.timezone },
      deps.now(),
    );
    return {
      name: row.name,
      tags,
      cron,
      duration_minutes: row.durationMinutes,
      timezone: row.timezone,
      open: state.open,
      changes_at: toTimestamp(state.changesAt),
      updated_at: toTimestamp(row.updatedAt),
      updated_by: row.updatedBy,
    };
  };
  const freezeBody = (gates: GateState): z.infer<typeof Freeze> => {
    const freeze = gates.currentFreeze();
    return {
      frozen: freeze !== null,
      reason: freeze?.reason ?? null,
      set_at: toTimestamp(freeze?.setAt ?? null),
      set_by: freeze?.setBy ?? null,
    };
  };

  app.openapi({ ...listBudgetsRoute, middleware: [requireRole("readonly")] }, async (c) => {
    const gates = await executor.currentGates();
    return c.json(
      (await listBudgets(db)).map((row) => budgetBody(gates, row)),
      200,
    );
  });

  app.openapi({ ...putBudgetRoute, middleware: [requireRole("admin")] }, async (c) => {
    const { name } = c.req.valid("param");
    const body = c.req.valid("json");
    const max = parseQuantity(body.max_unavailable);
    if (!max.ok) throw badRequest(`max_unavailable: ${max.error}`);
    const tags = [...new Set(body.tags)].sort();
    const row = await executor.changeGates(async (tx, now) => {
      const row: BudgetRow = {
        name,
        tags: JSON.stringify(tags),
        maxUnavailable: body.max_unavailable,
        updatedAt: now,
        updatedBy: c.get("actor"),
      };
      await putBudget(tx, row);
      await recordAudit(tx, now, {
        actor: c.get("actor"),
        action: "budget.updated",
        target: name,
        detail: { tags, max_unavailable: body.max_unavailable },
      });
      return row;
    });
    return c.json(budgetBody(await executor.currentGates(), row), 200);
  });

  app.openapi({ ...deleteBudgetRoute, middleware: [requireRole("admin")] }, async (c) => {
    const { name } = c.req.valid("param");
    const found = await executor.changeGates(async (tx, now) => {
      if (!(await deleteBudget(tx, name))) return false;
      await recordAudit(tx, now, { actor: c.get("actor"), action: "budget.deleted", target: name, detail: {} });
      return true;
    });
    if (!found) throw notFound(`budget ${name} not found`);
    return c.body(null, 204);
  });

  app.openapi({ ...listWindowsRoute, middleware: [requireRole("readonly")] }, async (c) => {
    return c.json((await listWindows(db)).map(windowBody), 200);
  });

  app.openapi({ ...putWindowRoute, middleware: [requireRole("admin")] }, async (c) => {
    const { name } = c.req.valid("param");
    const body = c.req.valid("json");
    if (!isTimeZone(body.timezone)) throw badRequest(`timezone: "${body.timezone}" is not an IANA time zone`);
    for (const [index, expression] of body.cron.entries()) {
      const problem = cronProblem(expression, body.timezone, deps.now());
      if (problem !== null) throw badRequest(`cron[${index}]: ${problem}`);
    }
    const tags = [...new Set(body.tags)].sort();
    const cron = body.cron.map((expression) => expression.trim());
    const row = await executor.changeGates(async (tx, now) => {
      const row: WindowRow = {
        name,
        tags: JSON.stringify(tags),
        cron: JSON.stringify(cron),
        durationMinutes: body.duration_minutes,
        timezone: body.timezone,
        updatedAt: now,
        updatedBy: c.get("actor"),
      };
      await putWindow(tx, row);
      await recordAudit(tx, now, {
        actor: c.get("actor"),
        action: "window.updated",
        target: name,
        detail: { tags, cron, duration_minutes: body.duration_minutes, timezone: body.timezone },
      });
      return row;
    });
    return c.json(windowBody(row), 200);
  });

  app.openapi({ ...deleteWindowRoute, middleware: [requireRole("admin")] }, async (c) => {
    const { name } = c.req.valid("param");
    const found = await executor.changeGates(async (tx, now) => {
      if (!(await deleteWindow(tx, name))) return false;
      await recordAudit(tx, now, { actor: c.get("actor"), action: "window.deleted", target: name, detail: {} });
      return true;
    });
    if (!found) throw notFound(`window ${name} not found`);
    return c.body(null, 204);
  });

  app.openapi({ ...getFreezeRoute, middleware: [requireRole("readonly")] }, async (c) => {
    return c.json(freezeBody(await executor.currentGates()), 200);
  });

  app.openapi({ ...putFreezeRoute, middleware: [requireRole("admin")] }, async (c) => {
    const { reason } = c.req.valid("json");
    await executor.changeGates(async (tx, now) => {
      await setFreeze(tx, { reason, setAt: now, setBy: c.get("actor") });
      await recordAudit(tx, now, {
        actor: c.get("actor"),
        action: "freeze.set",
        target: FREEZE_TARGET,
        detail: { reason },
      });
    });
    return c.json(freezeBody(await executor.currentGates()), 200);
  });

  app.openapi({ ...deleteFreezeRoute, middleware: [requireRole("admin")] }, async (c) => {
    await executor.changeGates(async (tx, now) => {
      if (!(await clearFreeze(tx))) return;
      await recordAudit(tx, now, {
        actor: c.get("actor"),
        action: "freeze.cleared",
        target: FREEZE_TARGET,
        detail: {},
      });
    });
    return c.body(null, 204);
  });
}
