import { and, asc, desc, eq, gt, inArray, lt, max, or, sql, type SQL } from "drizzle-orm";
import type { EventFilter } from "../domain/event-filter.ts";
import { jsonRows } from "./bulk-json.ts";
import { auditEvents } from "./schema.ts";
import type { DbOrTx } from "./database.ts";
import type { RolloutAuditAction } from "../domain/rollout-machine.ts";

/** Audit actions; the compat names are what v0.1 clients filter on. */
export type AuditAction =
  | "bootstrap"
  | "register"
  | "update_lifecycle"
  | "notify_deploy"
  | "clear_desired"
  | "create_release"
  | "delete_release"
  | "rollout.created"
  | "rollout.resumed"
  | "rollout.cancelled"
  | "rollout.deleted"
  | "rollout.completed"
  | "rollout.paused"
  | "rollout.failed"
  | "batch.deploying"
  | "batch.succeeded"
  | "batch.failed"
  | "report"
  | "key.created"
  | "key.revoked"
  | "tags.updated"
  | "session.created"
  | "session.deleted"
  | "webhook.created"
  | "webhook.deleted"
  | "webhook.redelivered"
  // SPEC §14: rollout control (the rollout's own transitions, its machines' as `machine.<state>`) and the gates.
  | RolloutAuditAction
  | "rollout.discarded"
  | "machine.reverted"
  | "budget.updated"
  | "budget.deleted"
  | "window.updated"
  | "window.deleted"
  | "freeze.set"
  | "freeze.cleared";

export interface AuditEntry {
  actor: string;
  action: AuditAction;
  target: string;
  detail: string | Record<string, unknown>;
  /** The rollout this event belongs to, for the event stream's and the trace's filters. */
  rolloutId?: string;
}

/** Writes audit events; call it inside the transaction that makes the change it records. */
export async function recordAudit(tx: DbOrTx, at: number, ...entries: AuditEntry[]): Promise<void> {
  if (entries.length > 0) await tx.run(auditInsert(at, entries));
}

/** The statement that inserts `entries` (at least one), in order, as one JSON parameter whatever their number. */
export function auditInsert(at: number, entries: AuditEntry[]): SQL {
  return sql`insert into ${auditEvents} (timestamp, actor, action, target, detail, rollout_id)
    select ${at}, value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4
    from json_each(${jsonRows(
      entries.map((e) => [
        e.actor,
        e.action,
        e.target,
        typeof e.detail === "string" ? e.detail : JSON.stringify(e.detail),
        e.rolloutId ?? null,
      ]),
    )})`;
}

export type AuditRow = typeof auditEvents.$inferSelect;

/** Exact-match filters of the audit routes; absent fields do not filter. */
export interface AuditFilter {
  actor?: string;
  action?: string;
  target?: string;
}

/**
 * Up to `limit` matching events, newest first, all older than event `beforeId` when given
 * (keyset paging: the export walks the log in pages without holding it all).
 */
export async function listAudit(
  db: DbOrTx,
  filter: AuditFilter,
  limit: number,
  beforeId?: number,
): Promise<AuditRow[]> {
  const conditions = [
    filter.actor === undefined ? undefined : eq(auditEvents.actor, filter.actor),
    filter.action === undefined ? undefined : eq(auditEvents.action, filter.action),
    filter.target === undefined ? undefined : eq(auditEvents.target, filter.target),
    beforeId === undefined ? undefined : lt(auditEvents.id, beforeId),
  ];
  return db
    .select()
    .from(auditEvents)
    .where(and(...conditions))
    .orderBy(desc(auditEvents.id))
    .limit(limit);
}

/** The newest event id (0 for an empty log): where a change feed starts following. */
export async function latestAuditId(db: DbOrTx): Promise<number> {
  const [row] = await db.select({ id: max(auditEvents.id) }).from(auditEvents);
  return row?.id ?? 0;
}

/**
 * Each rollout's newest event id (0 when it has none): its version. Every transition of a rollout
 * writes an audit row with its `rollout_id` in the transaction that makes it, so a rollout whose
 * newest event id is still the one an in-memory state was read at has not changed since.
 */
export async function rolloutVersions(db: DbOrTx, rolloutIds: readonly string[]): Promise<Map<string, number>> {
  const versions = new Map<string, number>(rolloutIds.map((id) => [id, 0]));
  if (rolloutIds.length === 0) return versions;
  const rows = await db
    .select({ rolloutId: auditEvents.rolloutId, id: max(auditEvents.id) })
    .from(auditEvents)
    .where(inArray(auditEvents.rolloutId, [...rolloutIds]))
    .groupBy(auditEvents.rolloutId);
  for (const row of rows) if (row.rolloutId !== null) versions.set(row.rolloutId, row.id ?? 0);
  return versions;
}

/** One rollout's version (see `rolloutVersions`): one step down the rollout's index. */
export async function rolloutVersion(db: DbOrTx, rolloutId: string): Promise<number> {
  const [row] = await db
    .select({ id: max(auditEvents.id) })
    .from(auditEvents)
    .where(eq(auditEvents.rolloutId, rolloutId));
  return row?.id ?? 0;
}

/**
 * Up to `limit` events after `afterId`, oldest first, matching `filter` (SQL doing what
 * `matchesEvent` does in memory): the change feed's read, and a reconnecting stream's catch-up.
 */
export async function eventsAfter(
  db: DbOrTx,
  afterId: number,
  limit: number,
  filter: EventFilter = {},
): Promise<AuditRow[]> {
  const actions = filter.actions?.map((pattern) =>
    pattern === "*"
      ? sql`1`
      : pattern.endsWith(".*")
        ? sql`${auditEvents.action} GLOB ${pattern}`
        : eq(auditEvents.action, pattern),
  );
  return db
    .select()
    .from(auditEvents)
    .where(
      and(
        gt(auditEvents.id, afterId),
        filter.rolloutId === undefined ? undefined : eq(auditEvents.rolloutId, filter.rolloutId),
        filter.machineId === undefined ? undefined : eq(auditEvents.target, filter.machineId),
        actions === undefined || actions.length === 0 ? undefined : or(...actions),
      ),
    )
    .orderBy(asc(auditEvents.id))
    .limit(limit);
}
