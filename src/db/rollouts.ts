import { randomUUID } from "node:crypto";
import { and, asc, count, desc, eq, inArray, isNotNull, sql } from "drizzle-orm";
import { jsonList, selectJson } from "./bulk-json.ts";
import type { DbOrTx } from "./database.ts";
import {
  desiredGenerations,
  healthReports,
  machineTags,
  machines,
  releaseEntries,
  releases,
  reports,
  rolloutBatches,
  rolloutEvents,
  rolloutMachines,
  rollouts,
} from "./schema.ts";

// Large id lists go to SQLite as one JSON array expanded by json_each: no bound-variable
// limit to chunk around, and one statement whatever the fleet size.

export type RolloutRow = typeof rollouts.$inferSelect;
export type RolloutStatus = RolloutRow["status"];
export type BatchRow = typeof rolloutBatches.$inferSelect;
export type BatchStatus = BatchRow["status"];
export type RolloutMachineRow = typeof rolloutMachines.$inferSelect;
export type RolloutEventRow = typeof rolloutEvents.$inferSelect;

export const ROLLOUT_STATUSES = ["created", "running", "paused", "completed", "failed", "cancelled"] as const;
export const BATCH_STATUSES = ["pending", "deploying", "waiting_health", "succeeded", "failed"] as const;
/** Statuses in which a rollout holds its machines. */
export const ACTIVE_ROLLOUT_STATUSES = ["created", "running", "paused"] as const satisfies readonly RolloutStatus[];

/** A fresh rollout id, `r-<uuid>`. */
export function newRolloutId(): string {
  return `r-${randomUUID()}`;
}

/** A registered machine a rollout target matches or names. */
export interface TargetCandidate {
  machineId: string;
  lifecycle: string;
}

/**
 * The registered machines a target could mean: for tags those (any lifecycle) having every
 * tag, by id; for hosts the named ones that are registered.
 */
export async function targetCandidates(
  db: DbOrTx,
  target: { tags: readonly string[] } | { hosts: readonly string[] },
): Promise<TargetCandidate[]> {
  if ("hosts" in target) {
    return db
      .select({ machineId: machines.machineId, lifecycle: machines.lifecycle })
      .from(machines)
      .where(sql`${machines.machineId} IN ${jsonList(target.hosts)}`);
  }
  const distinct = [...new Set(target.tags)];
  // Read as one JSON document: a tag can match the whole fleet. Ordered by a subquery, not by an
  // ORDER BY inside the aggregate: sqld's own SQL parser (0.24) refuses that newer syntax.
  const rows = await selectJson<[string, string][]>(
    db,
    sql`select json_group_array(json_array(machine_id, lifecycle)) from (
      select ${machines.machineId} as machine_id, ${machines.lifecycle} as lifecycle
      from ${machines} where ${machines.machineId} in (
        select ${machineTags.machineId} from ${machineTags} where ${inArray(machineTags.tag, distinct)}
        group by ${machineTags.machineId} having count(*) = ${distinct.length})
      order by ${machines.machineId})`,
  );
  return rows.map(([machineId, lifecycle]) => ({ machineId, lifecycle }));
}

/** The hostnames a release has entries for (a scan of its primary-key index, nothing more). */
export async function releaseHostnames(db: DbOrTx, releaseId: string): Promise<Set<string>> {
  const hostnames = await selectJson<string[]>(
    db,
    sql`select json_group_array(${releaseEntries.hostname}) from ${releaseEntries} where ${releaseEntries.releaseId} = ${releaseId}`,
  );
  return new Set(hostnames);
}

/** A release's binary cache URL; undefined when the release does not exist. */
export async function releaseCacheUrl(db: DbOrTx, releaseId: string): Promise<{ cacheUrl: string | null } | undefined> {
  const rows = await db.select({ cacheUrl: releases.cacheUrl }).from(releases).where(eq(releases.id, releaseId));
  return rows[0];
}

/** Those of `ids` that belong to a rollout still holding its machines, with that rollout. */
export async function machinesInActiveRollouts(
  db: DbOrTx,
  ids: readonly string[],
): Promise<{ machineId: string; rolloutId: string }[]> {
  return db
    .select({ machineId: rolloutMachines.machineId, rolloutId: rolloutMachines.rolloutId })
    .from(rolloutMachines)
    .innerJoin(rollouts, eq(rollouts.id, rolloutMachines.rolloutId))
    .where(
      and(
        inArray(rollouts.status, [...ACTIVE_ROLLOUT_STATUSES]),
        sql`${rolloutMachines.machineId} IN ${jsonList(ids)}`,
      ),
    );
}

export interface NewRollout {
  row: typeof rollouts.$inferInsert;
  /** Machine ids per batch, in order. */
  batches: string[][];
}

/** Inserts a rollout, its pending batches and its machines; call it inside `store.write`. */
export async function insertRollout(tx: DbOrTx, rollout: NewRollout): Promise<void> {
  const { id } = rollout.row;
  await tx.insert(rollouts).values(rollout.row);
  await tx
    .insert(rolloutBatches)
    .values(rollout.batches.map((_, batchIndex) => ({ rolloutId: id, batchIndex, status: "pending" as const })));
  const members = rollout.batches.flatMap((ids, batch) =>
    ids.map((machineId, position) => [machineId, batch, position]),
  );
  await tx.run(sql`
    INSERT INTO ${rolloutMachines} (rollout_id, machine_id, batch_index, position, health)
    SELECT ${id}, value ->> 0, value ->> 1, value ->> 2, 'pending' FROM json_each(${JSON.stringify(members)})`);
}

/** One rollout row, or undefined. */
export async function findRollout(db: DbOrTx, id: string): Promise<RolloutRow | undefined> {
  const rows = await db.select().from(rollouts).where(eq(rollouts.id, id)).limit(1);
  return rows[0];
}

/** Rollouts newest first, optionally only those with `status`. */
export async function listRollouts(db: DbOrTx, status?: RolloutStatus): Promise<RolloutRow[]> {
  return db
    .select()
    .from(rollouts)
    .where(status === undefined ? undefined : eq(rollouts.status, status))
    .orderBy(desc(rollouts.createdAt), desc(sql`${rollouts}.rowid`));
}

/** Rollouts with one of `statuses`, oldest first. */
export async function rolloutsWithStatus(db: DbOrTx, statuses: readonly RolloutStatus[]): Promise<RolloutRow[]> {
  return db
    .select()
    .from(rollouts)
    .where(inArray(rollouts.status, [...statuses]))
    .orderBy(asc(rollouts.createdAt), asc(sql`${rollouts}.rowid`));
}

/** The batches of the given rollouts, in batch order. */
export async function batchesOf(db: DbOrTx, rolloutIds: readonly string[]): Promise<BatchRow[]> {
  if (rolloutIds.length === 0) return [];
  return db
    .select()
    .from(rolloutBatches)
    .where(inArray(rolloutBatches.rolloutId, [...rolloutIds]))
    .orderBy(rolloutBatches.rolloutId, rolloutBatches.batchIndex);
}

/** The machines of the given rollouts, by batch and position. */
export async function machinesOf(db: DbOrTx, rolloutIds: readonly string[]): Promise<RolloutMachineRow[]> {
  if (rolloutIds.length === 0) return [];
  return db
    .select()
    .from(rolloutMachines)
    .where(inArray(rolloutMachines.rolloutId, [...rolloutIds]))
    .orderBy(rolloutMachines.rolloutId, rolloutMachines.batchIndex, rolloutMachines.position);
}

/** The machines of one batch, by position. */
export async function machinesOfBatch(db: DbOrTx, rolloutId: string, batchIndex: number): Promise<RolloutMachineRow[]> {
  return db
    .select()
    .from(rolloutMachines)
    .where(and(eq(rolloutMachines.rolloutId, rolloutId), eq(rolloutMachines.batchIndex, batchIndex)))
    .orderBy(rolloutMachines.position);
}

/** Every machine id of a rollout. */
export async function memberIds(db: DbOrTx, rolloutId: string): Promise<string[]> {
  const rows = await db
    .select({ machineId: rolloutMachines.machineId })
    .from(rolloutMachines)
    .where(eq(rolloutMachines.rolloutId, rolloutId));
  return rows.map((r) => r.machineId);
}

/** A rollout's events, oldest first. */
export async function eventsOf(db: DbOrTx, rolloutId: string): Promise<RolloutEventRow[]> {
  return db.select().from(rolloutEvents).where(eq(rolloutEvents.rolloutId, rolloutId)).orderBy(rolloutEvents.id);
}

export interface NewRolloutEvent {
  rolloutId: string;
  eventType: string;
  detail: string | Record<string, unknown>;
  actor: string;
}

/** Appends rollout events; call it inside the transaction that makes the change. */
export async function appendRolloutEvents(tx: DbOrTx, at: number, ...events: NewRolloutEvent[]): Promise<void> {
  if (events.length === 0) return;
  await tx.insert(rolloutEvents).values(
    events.map((e) => ({
      rolloutId: e.rolloutId,
      eventType: e.eventType,
      detail: typeof e.detail === "string" ? e.detail : JSON.stringify(e.detail),
      actor: e.actor,
      createdAt: at,
    })),
  );
}

/** Sets a rollout's status and `updated_at`. */
export async function setRolloutStatus(tx: DbOrTx, id: string, status: RolloutStatus, at: number): Promise<void> {
  await tx.update(rollouts).set({ status, updatedAt: at }).where(eq(rollouts.id, id));
}

/** Updates one batch's status and timestamps. */
export async function updateBatch(
  tx: DbOrTx,
  rolloutId: string,
  batchIndex: number,
  fields: Partial<Pick<BatchRow, "status" | "startedAt" | "completedAt">>,
): Promise<void> {
  await tx
    .update(rolloutBatches)
    .set(fields)
    .where(and(eq(rolloutBatches.rolloutId, rolloutId), eq(rolloutBatches.batchIndex, batchIndex)));
}

/**
 * Records, for each machine of the batch, what it should run if the rollout is reverted:
 * its desired generation (and cache URL), else its last reported generation, else nothing.
 */
export async function recordPreviousGenerations(tx: DbOrTx, rolloutId: string, batchIndex: number): Promise<void> {
  await tx.run(sql`
    UPDATE ${rolloutMachines} SET
      previous_generation = COALESCE(
        (SELECT d.store_path FROM ${desiredGenerations} d WHERE d.machine_id = ${rolloutMachines}.machine_id),
        (SELECT m.current_generation FROM ${machines} m WHERE m.machine_id = ${rolloutMachines}.machine_id)),
      previous_cache_url =
        (SELECT d.cache_url FROM ${desiredGenerations} d WHERE d.machine_id = ${rolloutMachines}.machine_id)
    WHERE rollout_id = ${rolloutId} AND batch_index = ${batchIndex}`);
}

/**
 * The latest receive time of a report or health report from a machine of the batch at or after
 * `since`, or null. Reads only what arrived since then (the receive-time indexes), not the batch.
 */
export async function latestBatchReportSince(
  tx: DbOrTx,
  rolloutId: string,
  batchIndex: number,
  since: number,
): Promise<number | null> {
  const inBatch = (table: typeof reports | typeof healthReports) => sql`
    SELECT max(r.received_at) AS at FROM ${table} r WHERE r.received_at >= ${since} AND EXISTS (
      SELECT 1 FROM ${rolloutMachines} rm
      WHERE rm.rollout_id = ${rolloutId} AND rm.machine_id = r.machine_id AND rm.batch_index = ${batchIndex})`;
  const rows = await tx.all<{ at: number | null }>(
    sql`SELECT max(at) AS at FROM (${inBatch(reports)} UNION ALL ${inBatch(healthReports)})`,
  );
  return rows[0]?.at ?? null;
}

/**
 * Resolves each machine of the batch to its release entry, read from the release at this
 * moment, and makes that its desired generation; returns what was set (machines without an
 * entry get nothing).
 */
export async function desireReleaseForBatch(
  tx: DbOrTx,
  batch: { rolloutId: string; batchIndex: number; releaseId: string; cacheUrl: string | null },
  at: number,
  setBy: string,
): Promise<{ machineId: string; storePath: string }[]> {
  const inBatch = and(eq(rolloutMachines.rolloutId, batch.rolloutId), eq(rolloutMachines.batchIndex, batch.batchIndex));
  await tx.run(sql`
    UPDATE ${rolloutMachines} SET store_path = (
      SELECT re.store_path FROM ${releaseEntries} re
      WHERE re.release_id = ${batch.releaseId} AND re.hostname = ${rolloutMachines}.machine_id)
    WHERE rollout_id = ${batch.rolloutId} AND batch_index = ${batch.batchIndex}`);
  const rows = await tx
    .select({ machineId: rolloutMachines.machineId, storePath: rolloutMachines.storePath })
    .from(rolloutMachines)
    .where(and(inBatch, isNotNull(rolloutMachines.storePath)));
  const resolved = rows.map((r) => ({ machineId: r.machineId, storePath: r.storePath! }));
  if (resolved.length > 0) {
    await tx.run(sql`
      INSERT INTO ${desiredGenerations} (machine_id, store_path, cache_url, set_at, set_by)
      SELECT value ->> 0, value ->> 1, ${batch.cacheUrl}, ${at}, ${setBy}
      FROM json_each(${JSON.stringify(resolved.map((r) => [r.machineId, r.storePath]))}) WHERE true
      ON CONFLICT (machine_id) DO UPDATE SET
        store_path = excluded.store_path, cache_url = excluded.cache_url,
        set_at = excluded.set_at, set_by = excluded.set_by`);
  }
  return resolved;
}

/**
 * Gives every machine of batches `0..lastBatch` its recorded previous generation back as
 * desired, or clears its desired generation when none was recorded; returns what each got.
 */
export async function restorePreviousGenerations(
  tx: DbOrTx,
  rolloutId: string,
  lastBatch: number,
  at: number,
  setBy: string,
): Promise<{ machineId: string; storePath: string | null; cacheUrl: string | null }[]> {
  const rows = await tx
    .select({
      machineId: rolloutMachines.machineId,
      storePath: rolloutMachines.previousGeneration,
      cacheUrl: rolloutMachines.previousCacheUrl,
    })
    .from(rolloutMachines)
    .where(and(eq(rolloutMachines.rolloutId, rolloutId), sql`${rolloutMachines.batchIndex} <= ${lastBatch}`));
  const restore = rows.filter((r) => r.storePath !== null);
  const clear = rows.filter((r) => r.storePath === null).map((r) => r.machineId);
  if (restore.length > 0) {
    await tx.run(sql`
      INSERT INTO ${desiredGenerations} (machine_id, store_path, cache_url, set_at, set_by)
      SELECT value ->> 0, value ->> 1, value ->> 2, ${at}, ${setBy}
      FROM json_each(${JSON.stringify(restore.map((r) => [r.machineId, r.storePath, r.cacheUrl]))}) WHERE true
      ON CONFLICT (machine_id) DO UPDATE SET
        store_path = excluded.store_path, cache_url = excluded.cache_url,
        set_at = excluded.set_at, set_by = excluded.set_by`);
  }
  if (clear.length > 0) {
    await tx.delete(desiredGenerations).where(sql`${desiredGenerations.machineId} IN ${jsonList(clear)}`);
  }
  return rows;
}

/** Stores the health decision of machines of a rollout. */
export async function setMachineHealth(
  tx: DbOrTx,
  rolloutId: string,
  machineIds: readonly string[],
  health: RolloutMachineRow["health"],
  reason: string | null,
): Promise<void> {
  if (machineIds.length === 0) return;
  await tx
    .update(rolloutMachines)
    .set({ health, healthReason: reason })
    .where(and(eq(rolloutMachines.rolloutId, rolloutId), sql`${rolloutMachines.machineId} IN ${jsonList(machineIds)}`));
}

/** Puts every machine of a batch back to undecided (a resumed batch is judged afresh). */
export async function resetBatchHealth(tx: DbOrTx, rolloutId: string, batchIndex: number): Promise<void> {
  await tx
    .update(rolloutMachines)
    .set({ health: "pending", healthReason: null })
    .where(and(eq(rolloutMachines.rolloutId, rolloutId), eq(rolloutMachines.batchIndex, batchIndex)));
}

/** Deletes a rollout with its batches, machines and events. */
export async function deleteRollout(tx: DbOrTx, id: string): Promise<void> {
  await tx.delete(rolloutEvents).where(eq(rolloutEvents.rolloutId, id));
  await tx.delete(rolloutMachines).where(eq(rolloutMachines.rolloutId, id));
  await tx.delete(rolloutBatches).where(eq(rolloutBatches.rolloutId, id));
  await tx.delete(rollouts).where(eq(rollouts.id, id));
}

/** Number of rollouts per status. */
export async function countRolloutsByStatus(db: DbOrTx): Promise<{ status: RolloutStatus; n: number }[]> {
  return db.select({ status: rollouts.status, n: count() }).from(rollouts).groupBy(rollouts.status);
}

export type ReportEvent = Pick<
  typeof reports.$inferSelect,
  "machineId" | "receivedAt" | "currentGeneration" | "success" | "message"
>;
export type HealthEvent = Pick<typeof healthReports.$inferSelect, "machineId" | "receivedAt" | "allPassed" | "results">;

/** Reports and health reports of `machineIds` received at or after `since`. */
export async function reportsSince(
  db: DbOrTx,
  machineIds: readonly string[],
  since: number,
): Promise<{ reports: ReportEvent[]; health: HealthEvent[] }> {
  if (machineIds.length === 0) return { reports: [], health: [] };
  const reportRows = await db
    .select({
      machineId: reports.machineId,
      receivedAt: reports.receivedAt,
      currentGeneration: reports.currentGeneration,
      success: reports.success,
      message: reports.message,
    })
    .from(reports)
    .where(and(sql`${reports.machineId} IN ${jsonList(machineIds)}`, sql`${reports.receivedAt} >= ${since}`))
    .orderBy(reports.id);
  const healthColumns = {
    id: healthReports.id,
    machineId: healthReports.machineId,
    receivedAt: healthReports.receivedAt,
    allPassed: healthReports.allPassed,
    results: healthReports.results,
  };
  // A health report shares its report's id, so it is found through the reports' per-machine
  // index; a machine's latest one can outlive its report in retention, so it is read too.
  const healthRows = await db
    .select(healthColumns)
    .from(reports)
    .innerJoin(healthReports, eq(healthReports.id, reports.id))
    .where(and(sql`${reports.machineId} IN ${jsonList(machineIds)}`, sql`${reports.receivedAt} >= ${since}`))
    .union(
      db
        .select(healthColumns)
        .from(machines)
        .innerJoin(healthReports, eq(healthReports.id, machines.latestHealthId))
        .where(
          and(sql`${machines.machineId} IN ${jsonList(machineIds)}`, sql`${healthReports.receivedAt} >= ${since}`),
        ),
    )
    .orderBy(asc(healthReports.id));
  return { reports: reportRows, health: healthRows };
}
