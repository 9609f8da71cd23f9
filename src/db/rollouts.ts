import { randomUUID } from "node:crypto";
import { and, asc, count, desc, eq, gt, inArray, sql, type SQL } from "drizzle-orm";
import { firstFailedCheck, type GateEvent } from "../domain/health-gate.ts";
import { parseQuantity, type Quantity } from "../domain/rollout-planning.ts";
import {
  ACTIVE_ROLLOUT_STATUSES,
  BATCH_STATUSES,
  ROLLOUT_STATUSES,
  type BatchState,
  type MachineState,
  type RolloutOptions,
  type RolloutState,
  type Transition,
} from "../domain/rollout-machine.ts";
import { auditInsert } from "./audit.ts";
import { deleteInTurns } from "./bulk-delete.ts";
import { jsonList, jsonRows, selectJson } from "./bulk-json.ts";
import type { DbOrTx } from "./database.ts";
import {
  auditEvents,
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

export { ACTIVE_ROLLOUT_STATUSES, BATCH_STATUSES, ROLLOUT_STATUSES };

export type RolloutRow = typeof rollouts.$inferSelect;
export type RolloutStatus = RolloutRow["status"];
export type BatchRow = typeof rolloutBatches.$inferSelect;
export type BatchStatus = BatchRow["status"];
export type RolloutMachineRow = typeof rolloutMachines.$inferSelect;
export type RolloutEventRow = typeof rolloutEvents.$inferSelect;

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
 * A page of the registered machines a target could mean, after `after` (machine ids in order): for
 * tags those (any lifecycle) having every tag among the next `limit` machines of the registry, for
 * hosts the named ones among the next `limit` names that are registered. `next` is where the next
 * page starts, null after the last: each page reads a bounded slice, however rare the tags.
 */
export async function targetCandidatesPage(
  db: DbOrTx,
  target: { tags: readonly string[] } | { hosts: readonly string[] },
  after: string,
  limit: number,
): Promise<{ candidates: TargetCandidate[]; next: string | null }> {
  if ("hosts" in target) {
    const names = [...new Set(target.hosts)].sort().filter((h) => h > after);
    const slice = names.slice(0, limit);
    const candidates = await db
      .select({ machineId: machines.machineId, lifecycle: machines.lifecycle })
      .from(machines)
      .where(sql`${machines.machineId} IN ${jsonList(slice)}`);
    return { candidates, next: names.length > limit ? slice.at(-1)! : null };
  }
  const distinct = [...new Set(target.tags)];
  // Read as one JSON document: a page can be a slice of the whole fleet.
  const [scanned, rows] = await selectJson<[string | null, [string, string, number][]]>(
    db,
    sql`select json_array(max(m.machine_id), json(json_group_array(json_array(m.machine_id, m.lifecycle,
        (select count(*) from ${machineTags} t where t.machine_id = m.machine_id and t.tag in ${jsonList(distinct)})))))
      from (select ${machines.machineId} as machine_id, ${machines.lifecycle} as lifecycle from ${machines}
        where ${machines.machineId} > ${after} order by ${machines.machineId} limit ${limit}) m`,
  );
  const candidates = rows
    .filter(([, , tags]) => tags === distinct.length)
    .map(([machineId, lifecycle]) => ({ machineId, lifecycle }));
  return { candidates, next: rows.length === limit ? scanned : null };
}

/** Those of `hostnames` the release has entries for (primary-key lookups). */
export async function releaseEntriesFor(
  db: DbOrTx,
  releaseId: string,
  hostnames: readonly string[],
): Promise<string[]> {
  return selectJson<string[]>(
    db,
    sql`select json_group_array(${releaseEntries.hostname}) from ${releaseEntries}
      where ${releaseEntries.releaseId} = ${releaseId} and ${releaseEntries.hostname} in ${jsonList(hostnames)}`,
  );
}

/** A release's binary cache URL; undefined when the release does not exist. */
export async function releaseCacheUrl(db: DbOrTx, releaseId: string): Promise<{ cacheUrl: string | null } | undefined> {
  const rows = await db.select({ cacheUrl: releases.cacheUrl }).from(releases).where(eq(releases.id, releaseId));
  return rows[0];
}

/** Those of `ids` that belong to a rollout still holding them (not skipped or superseded there), with that rollout. */
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
        sql`${rolloutMachines.state} NOT IN ('skipped', 'superseded')`,
        sql`${rolloutMachines.machineId} IN ${jsonList(ids)}`,
      ),
    );
}

/** Inserts a rollout and its pending batches (its machines follow with `insertRolloutMachines`). */
export async function insertRolloutHeader(
  tx: DbOrTx,
  row: typeof rollouts.$inferInsert,
  batchCount: number,
): Promise<void> {
  await tx.insert(rollouts).values(row);
  await tx.insert(rolloutBatches).values(
    Array.from({ length: batchCount }, (_, batchIndex) => ({
      rolloutId: row.id,
      batchIndex,
      status: "pending" as const,
    })),
  );
}

/** Inserts machines of a rollout: `[machine id, batch index, position]` each, pending. */
export async function insertRolloutMachines(
  tx: DbOrTx,
  rolloutId: string,
  members: readonly (readonly [string, number, number])[],
): Promise<void> {
  if (members.length === 0) return;
  await tx.run(sql`
    INSERT INTO ${rolloutMachines} (rollout_id, machine_id, batch_index, position, health)
    SELECT ${rolloutId}, value ->> 0, value ->> 1, value ->> 2, 'pending' FROM json_each(${jsonRows(members.map((m) => [...m]))})`);
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

/** Rollouts whose machines still wait for their previous generation (abort or revert interrupted). */
export async function rolloutsToRevert(db: DbOrTx): Promise<string[]> {
  const rows = await db.select({ id: rollouts.id }).from(rollouts).where(eq(rollouts.revertPending, true));
  return rows.map((r) => r.id);
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

/** Where a walk over a rollout's machines stands: the (batch index, position) of the last one read. */
export type MachineKey = readonly [batchIndex: number, position: number];
/** Before a rollout's first machine. */
export const FIRST_MACHINE_KEY: MachineKey = [-1, -1];

/** A machine of a rollout as its reads show it. */
export interface RolloutMachineView {
  machineId: string;
  batchIndex: number;
  position: number;
  state: MachineState["state"];
  reason: string | null;
  deployStartedAt: number | null;
  /** The store path the rollout gives it (its release entry's); only when asked for. */
  storePath: string | null;
}

/**
 * The machines of a rollout after `after` in (batch, position) order, of batch `batch` only when
 * given. Within one batch the range is one of positions: a row-value range after an equality
 * would not bound the index search.
 */
function machinesAfter(rolloutId: string, after: MachineKey, batch: number | undefined): SQL {
  if (batch === undefined)
    return sql`rollout_id = ${rolloutId} and (batch_index, position) > (${after[0]}, ${after[1]})`;
  if (after[0] > batch) return sql`false`;
  return sql`rollout_id = ${rolloutId} and batch_index = ${batch} and position > ${after[0] < batch ? -1 : after[1]}`;
}

/** Up to `end` (included), continuing `machinesAfter(…, batch)`. */
function machinesUpTo(end: MachineKey | null, batch: number | undefined): SQL {
  if (end === null) return sql``;
  return batch === undefined
    ? sql`and (batch_index, position) <= (${end[0]}, ${end[1]})`
    : sql`and position <= ${end[1]}`;
}

/**
 * The key of the `scan`-th machine matching `range`, or null when fewer are left: where a bounded
 * slice of the batch index ends (read from the index alone).
 */
async function sliceEnd(db: DbOrTx, range: SQL, scan: number): Promise<MachineKey | null> {
  const [row] = await db.values<[number, number]>(
    sql`select batch_index, position from ${rolloutMachines} where ${range}
      order by batch_index, position limit 1 offset ${scan - 1}`,
  );
  return row ? [row[0], row[1]] : null;
}

/**
 * The next `scan` machines of a rollout after `after`, in (batch, position) order (the order a
 * batch starts them), of batch `batch` only when given; of those, the ones in `states` (every
 * one when empty). `last` is where the next slice starts, null once the slice reached the end. A
 * bounded slice of the batch index per call, however rare the states asked for.
 */
export async function rolloutMachinesChunk(
  db: DbOrTx,
  rollout: { id: string; releaseId: string },
  options: {
    after: MachineKey;
    scan: number;
    batch?: number;
    states?: readonly string[];
    storePaths?: boolean;
  },
): Promise<{ machines: RolloutMachineView[]; last: MachineKey | null }> {
  const { after, scan, batch, states = [], storePaths = false } = options;
  const range = machinesAfter(rollout.id, after, batch);
  // Without a state to look for, the slice is the first `scan` rows; with one, it is bounded by
  // where those rows end, and only the matching ones are read.
  const end = states.length > 0 ? await sliceEnd(db, range, scan) : null;
  const slice =
    states.length > 0
      ? sql`select * from ${rolloutMachines} where ${range} ${machinesUpTo(end, batch)} and health in ${jsonList(states)}`
      : sql`select * from ${rolloutMachines} where ${range} order by batch_index, position limit ${scan}`;
  // Sorted here: sqld's parser refuses an ORDER BY inside an aggregate.
  const rows = await selectJson<
    [string, number, number, MachineState["state"], string | null, number | null, string | null][]
  >(
    db,
    sql`select json_group_array(json_array(rm.machine_id, rm.batch_index, rm.position, rm.health, rm.health_reason,
        rm.deploy_started_at, ${storePaths ? sql`coalesce(rm.store_path, re.store_path)` : sql`null`}))
      from (${slice}) rm ${
        storePaths
          ? sql`left join ${releaseEntries} re on re.release_id = ${rollout.releaseId} and re.hostname = rm.machine_id`
          : sql``
      }`,
  );
  rows.sort((a, b) => a[1] - b[1] || a[2] - b[2]);
  const machines = rows.map(([machineId, batchIndex, position, state, reason, deployStartedAt, storePath]) => ({
    machineId,
    batchIndex,
    position,
    state,
    reason,
    deployStartedAt,
    storePath,
  }));
  const last = states.length > 0 ? end : rows.length === scan ? ([rows.at(-1)![1], rows.at(-1)![2]] as const) : null;
  return { machines, last };
}

/** Machines of one batch of a rollout in one state giving one reason, and how many of them the rollout changed. */
export interface MachineTally {
  batchIndex: number;
  state: MachineState["state"];
  reason: string | null;
  machines: number;
  /** Given their generation by the rollout, not reverted since, not left (what an abort reverts). */
  changed: number;
}

/**
 * Counts the next `scan` machines of a rollout after `after` by batch, state and reason: a bounded
 * slice of the batch index per call. `last` is where the next slice starts, null once this one
 * reached the end.
 */
export async function rolloutTallyChunk(
  db: DbOrTx,
  rolloutId: string,
  after: MachineKey,
  scan: number,
): Promise<{ tallies: MachineTally[]; last: MachineKey | null }> {
  const range = machinesAfter(rolloutId, after, undefined);
  const end = await sliceEnd(db, range, scan);
  const rows = await selectJson<[number, MachineState["state"], string | null, number, number][]>(
    db,
    sql`select json_group_array(json_array(batch_index, health, health_reason, n, changed)) from (
      select batch_index, health, health_reason, count(*) as n,
        sum(deploy_started_at is not null and reverted_at is null and health not in ('skipped', 'superseded')) as changed
      from ${rolloutMachines} where ${range} ${machinesUpTo(end, undefined)}
      group by batch_index, health, health_reason)`,
  );
  const tallies = rows.map(([batchIndex, state, reason, machines, changed]) => ({
    batchIndex,
    state,
    reason,
    machines,
    changed,
  }));
  return { tallies, last: end };
}

/** Where a machine stands in a rollout: its (batch index, position), or undefined when it is not in it. */
export async function rolloutMachineKey(
  db: DbOrTx,
  rolloutId: string,
  machineId: string,
): Promise<MachineKey | undefined> {
  const rows = await db
    .select({ batchIndex: rolloutMachines.batchIndex, position: rolloutMachines.position })
    .from(rolloutMachines)
    .where(and(eq(rolloutMachines.rolloutId, rolloutId), eq(rolloutMachines.machineId, machineId)));
  return rows[0] ? [rows[0].batchIndex, rows[0].position] : undefined;
}

/** One machine of a rollout, or undefined. */
export async function rolloutMachine(
  db: DbOrTx,
  rolloutId: string,
  machineId: string,
): Promise<RolloutMachineRow | undefined> {
  const rows = await db
    .select()
    .from(rolloutMachines)
    .where(and(eq(rolloutMachines.rolloutId, rolloutId), eq(rolloutMachines.machineId, machineId)));
  return rows[0];
}

/** A rollout's machine ids that have not left it, in id order after `after`, at most `limit`. */
export async function memberIdsPage(db: DbOrTx, rolloutId: string, after: string, limit: number): Promise<string[]> {
  return selectJson<string[]>(
    db,
    sql`select json_group_array(machine_id) from (select machine_id from ${rolloutMachines}
      where rollout_id = ${rolloutId} and machine_id > ${after} and health not in ('skipped', 'superseded')
      order by machine_id limit ${limit})`,
  );
}

/** A batch's machines after position `after`, at most `limit`, with their release entry's store path and tags. */
export async function batchMachinesPage(
  db: DbOrTx,
  rollout: { id: string; releaseId: string },
  batchIndex: number,
  after: number,
  limit: number,
): Promise<{ machine: MachineState; tags: string[] }[]> {
  const rows = await selectJson<
    [string, number, MachineState["state"], string | null, string | null, number | null, string[]][]
  >(
    db,
    sql`select json_group_array(json_array(rm.machine_id, rm.position, rm.health, rm.health_reason, re.store_path,
        rm.deploy_started_at,
        json((select json_group_array(t.tag) from ${machineTags} t where t.machine_id = rm.machine_id))))
      from (select * from ${rolloutMachines}
        where rollout_id = ${rollout.id} and batch_index = ${batchIndex} and position > ${after}
        order by position limit ${limit}) rm
      left join ${releaseEntries} re on re.release_id = ${rollout.releaseId} and re.hostname = rm.machine_id`,
  );
  return rows
    .map(([id, position, state, reason, storePath, deployStartedAt, tags]) => ({
      machine: { id, batch: batchIndex, position, state, reason, storePath, deployStartedAt },
      tags,
    }))
    .sort((a, b) => a.machine.position - b.machine.position);
}

/** Machines deploying now in active rollouts, with their rollout and tags (what the budgets count). */
export async function deployingMachines(
  db: DbOrTx,
): Promise<{ machineId: string; rolloutId: string; tags: string[] }[]> {
  const rows = await selectJson<[string, string, string[]][]>(
    db,
    sql`select json_group_array(json_array(rm.machine_id, rm.rollout_id,
        json((select json_group_array(t.tag) from ${machineTags} t where t.machine_id = rm.machine_id))))
      from ${rolloutMachines} rm join ${rollouts} r on r.id = rm.rollout_id
      where r.status in ('scheduled', 'running', 'paused') and rm.health = 'deploying'`,
  );
  return rows.map(([machineId, rolloutId, tags]) => ({ machineId, rolloutId, tags }));
}

/** Per rollout: machines it changed that have not left it or been reverted (what an abort reverts). */
export async function changedCounts(db: DbOrTx, rolloutIds: readonly string[]): Promise<Map<string, number>> {
  if (rolloutIds.length === 0) return new Map();
  const rows = await db
    .select({ rolloutId: rolloutMachines.rolloutId, n: count() })
    .from(rolloutMachines)
    .where(
      and(
        inArray(rolloutMachines.rolloutId, [...rolloutIds]),
        sql`${rolloutMachines.deployStartedAt} IS NOT NULL AND ${rolloutMachines.revertedAt} IS NULL`,
        sql`${rolloutMachines.state} NOT IN ('skipped', 'superseded')`,
      ),
    )
    .groupBy(rolloutMachines.rolloutId);
  return new Map(rows.map((r) => [r.rolloutId, r.n]));
}

/** A rollout's events, oldest first. */
export async function eventsOf(db: DbOrTx, rolloutId: string): Promise<RolloutEventRow[]> {
  return db.select().from(rolloutEvents).where(eq(rolloutEvents.rolloutId, rolloutId)).orderBy(rolloutEvents.id);
}

/** A rollout's audit rows (its own transitions and its machines') with ids after `afterId`, oldest first. */
export async function traceOf(db: DbOrTx, rolloutId: string, afterId: number, limit: number) {
  return db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.rolloutId, rolloutId), gt(auditEvents.id, afterId)))
    .orderBy(auditEvents.id)
    .limit(limit);
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

/** The rollout's state as stored: its row and batches (the current batch's machines are loaded apart). */
export function rolloutState(
  row: RolloutRow,
  batches: readonly BatchRow[],
  changed: number,
): Omit<RolloutState, "options"> {
  return {
    id: row.id,
    status: row.status,
    pauseReason: row.pauseReason,
    batches: batches.map((b): BatchState => ({
      index: b.batchIndex,
      status: b.status,
      startedAt: b.startedAt,
      completedAt: b.completedAt,
      soakUntil: b.soakUntil,
    })),
    changed,
    revertPending: row.revertPending,
    loaded: null,
  };
}

/** Machines a revert gives their previous generation back per transaction (~25 ms of event loop). */
export const REVERT_CHUNK = 500;

export interface RevertedChunk {
  reverted: { machineId: string; storePath: string | null; cacheUrl: string | null }[];
  done: boolean;
  /** Where the next chunk starts: the last machine looked at, as (batch index, position). */
  after: readonly [number, number];
}

/**
 * Writes a transition of the pure machine (`src/domain/rollout-machine.ts`): the rollout's row and
 * changed batches, the machines' states, the desired generations it sets (recording previous ones
 * on a machine's first deploy), a revert's first REVERT_CHUNK machines, its audit rows and rollout
 * events. Call it inside the transaction that makes the step, so the change and its audit rows
 * commit together. Returns the revert's first chunk, or null when the transition reverts nothing.
 */
export async function persistTransition(
  tx: DbOrTx,
  before: RolloutState,
  t: Transition,
  at: number,
  cacheUrl: string | null,
): Promise<RevertedChunk | null> {
  const after = t.state;
  const id = after.id;
  if (
    after.status !== before.status ||
    after.pauseReason !== before.pauseReason ||
    after.revertPending !== before.revertPending ||
    t.events.length > 0
  ) {
    await tx
      .update(rollouts)
      .set({ status: after.status, pauseReason: after.pauseReason, revertPending: after.revertPending, updatedAt: at })
      .where(eq(rollouts.id, id));
  }
  for (const batch of after.batches) {
    if (before.batches[batch.index] === batch) continue;
    await tx
      .update(rolloutBatches)
      .set({
        status: batch.status,
        startedAt: batch.startedAt,
        completedAt: batch.completedAt,
        soakUntil: batch.soakUntil,
      })
      .where(and(eq(rolloutBatches.rolloutId, id), eq(rolloutBatches.batchIndex, batch.index)));
  }
  const firstDeploys = t.desire.filter((d) => d.firstDeploy).map((d) => d.machineId);
  if (firstDeploys.length > 0) await recordPreviousGenerations(tx, id, firstDeploys);
  if (t.changes.length > 0) {
    // An upsert on the primary key looks each machine up; an UPDATE … FROM json_each would let
    // SQLite scan the rollout's rows once per changed machine.
    const rows = t.changes.map(({ after: m }) => [
      m.id,
      m.batch,
      m.position,
      m.state,
      m.reason,
      m.deployStartedAt,
      m.deployStartedAt === null ? null : m.storePath,
    ]);
    await tx.run(sql`
      INSERT INTO ${rolloutMachines} (rollout_id, machine_id, batch_index, position, health, health_reason, deploy_started_at, store_path)
      SELECT ${id}, value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6
      FROM json_each(${jsonRows(rows)}) WHERE true
      ON CONFLICT (rollout_id, machine_id) DO UPDATE SET
        health = excluded.health, health_reason = excluded.health_reason,
        deploy_started_at = excluded.deploy_started_at,
        store_path = COALESCE(excluded.store_path, ${rolloutMachines}.store_path)`);
  }
  if (t.desire.length > 0) {
    const desired = jsonRows(t.desire.map((d) => [d.machineId, d.storePath]));
    await tx.run(sql`
      INSERT INTO ${desiredGenerations} (machine_id, store_path, cache_url, set_at, set_by)
      SELECT value ->> 0, value ->> 1, ${cacheUrl}, ${at}, ${`rollout:${id}`} FROM json_each(${desired}) WHERE true
      ON CONFLICT (machine_id) DO UPDATE SET
        store_path = excluded.store_path, cache_url = excluded.cache_url,
        set_at = excluded.set_at, set_by = excluded.set_by`);
  }
  // The machines get their previous generation back before the rollout's own row says it failed or was aborted.
  const actor = t.audit.find((a) => a.target === id)?.actor ?? "executor";
  const reverted = t.revert ? await revertChunk(tx, id, REVERT_CHUNK, at, actor) : null;
  if (t.audit.length > 0) {
    await tx.run(
      auditInsert(
        at,
        t.audit.map((a) => ({ ...a, rolloutId: id })),
      ),
    );
  }
  await appendRolloutEvents(tx, at, ...t.events.map((e) => ({ ...e, rolloutId: id })));
  return reverted;
}

/**
 * Records what the machines should run if the rollout is reverted: their desired generation
 * (and cache URL), else their last reported generation, else nothing.
 */
async function recordPreviousGenerations(tx: DbOrTx, rolloutId: string, machineIds: readonly string[]): Promise<void> {
  await tx.run(sql`
    UPDATE ${rolloutMachines} SET
      previous_generation = COALESCE(
        (SELECT d.store_path FROM ${desiredGenerations} d WHERE d.machine_id = ${rolloutMachines}.machine_id),
        (SELECT m.current_generation FROM ${machines} m WHERE m.machine_id = ${rolloutMachines}.machine_id)),
      previous_cache_url =
        (SELECT d.cache_url FROM ${desiredGenerations} d WHERE d.machine_id = ${rolloutMachines}.machine_id)
    WHERE rollout_id = ${rolloutId} AND machine_id IN ${jsonList(machineIds)}`);
}

/**
 * Gives up to `limit` machines the rollout changed (not skipped or superseded, not yet reverted)
 * their recorded previous generation back as desired, or clears it when none was recorded, with a
 * `machine.reverted` audit row each; when none is left, the rollout's revert is done. Machines are
 * taken in batch order from `after` on (the batch index's keys), so each chunk reads only its own.
 * Returns what each machine got, whether the revert is complete, and where the next chunk starts.
 */
export async function revertChunk(
  tx: DbOrTx,
  rolloutId: string,
  limit: number,
  at: number,
  actor: string,
  after: readonly [number, number] = [-1, -1],
): Promise<RevertedChunk> {
  const rows = await tx
    .select({
      machineId: rolloutMachines.machineId,
      batchIndex: rolloutMachines.batchIndex,
      position: rolloutMachines.position,
      storePath: rolloutMachines.previousGeneration,
      cacheUrl: rolloutMachines.previousCacheUrl,
      changed: sql<number>`${rolloutMachines.deployStartedAt} IS NOT NULL AND ${rolloutMachines.revertedAt} IS NULL
        AND ${rolloutMachines.state} NOT IN ('skipped', 'superseded')`,
    })
    .from(rolloutMachines)
    .where(
      and(
        eq(rolloutMachines.rolloutId, rolloutId),
        sql`(${rolloutMachines.batchIndex}, ${rolloutMachines.position}) > (${after[0]}, ${after[1]})`,
      ),
    )
    .orderBy(rolloutMachines.batchIndex, rolloutMachines.position)
    .limit(limit);
  const last = rows.at(-1);
  const next = last ? ([last.batchIndex, last.position] as const) : after;
  const done = rows.length < limit;
  if (done) await tx.update(rollouts).set({ revertPending: false }).where(eq(rollouts.id, rolloutId));
  const changed = rows.filter((r) => r.changed);
  if (changed.length === 0) return { reverted: [], done, after: next };
  return { ...(await revertMachines(tx, rolloutId, changed, at, actor)), done, after: next };
}

/** Gives `rows` their previous generation back (or clears it), marks them reverted, writes their audit rows. */
async function revertMachines(
  tx: DbOrTx,
  rolloutId: string,
  rows: { machineId: string; batchIndex: number; storePath: string | null; cacheUrl: string | null }[],
  at: number,
  actor: string,
): Promise<Pick<RevertedChunk, "reverted">> {
  const restore = rows.filter((r) => r.storePath !== null);
  const clear = rows.filter((r) => r.storePath === null).map((r) => r.machineId);
  if (restore.length > 0) {
    await tx.run(sql`
      INSERT INTO ${desiredGenerations} (machine_id, store_path, cache_url, set_at, set_by)
      SELECT value ->> 0, value ->> 1, value ->> 2, ${at}, ${`rollout:${rolloutId}`}
      FROM json_each(${jsonRows(restore.map((r) => [r.machineId, r.storePath, r.cacheUrl]))}) WHERE true
      ON CONFLICT (machine_id) DO UPDATE SET
        store_path = excluded.store_path, cache_url = excluded.cache_url,
        set_at = excluded.set_at, set_by = excluded.set_by`);
  }
  if (clear.length > 0) {
    await tx.delete(desiredGenerations).where(sql`${desiredGenerations.machineId} IN ${jsonList(clear)}`);
  }
  if (rows.length > 0) {
    await tx
      .update(rolloutMachines)
      .set({ revertedAt: at })
      .where(
        and(
          eq(rolloutMachines.rolloutId, rolloutId),
          sql`${rolloutMachines.machineId} IN ${jsonList(rows.map((r) => r.machineId))}`,
        ),
      );
    await tx.run(
      auditInsert(
        at,
        rows.map((r) => ({
          actor,
          action: "machine.reverted" as const,
          target: r.machineId,
          rolloutId,
          detail: { batch_index: r.batchIndex, previous_generation: r.storePath },
        })),
      ),
    );
  }
  return { reverted: rows.map(({ machineId, storePath, cacheUrl }) => ({ machineId, storePath, cacheUrl })) };
}

/** Receive times of the latest reports received at or after `since`, per machine (this millisecond's, usually none). */
export async function reportTimesSince(db: DbOrTx, since: number): Promise<Map<string, number>> {
  const rows = await db
    .select({ machineId: reports.machineId, at: sql<number>`max(${reports.receivedAt})` })
    .from(reports)
    .where(sql`${reports.receivedAt} >= ${since}`)
    .groupBy(reports.machineId);
  return new Map(rows.map((r) => [r.machineId, r.at]));
}

/** Deletes a rollout with its batches, machines and events (its audit rows stay). */
export async function deleteRollout(tx: DbOrTx, id: string): Promise<void> {
  await tx.delete(rolloutEvents).where(eq(rolloutEvents.rolloutId, id));
  await deleteInTurns(tx, rolloutMachines, eq(rolloutMachines.rolloutId, id));
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

/** The options a stored rollout runs with. */
export function rolloutOptions(row: RolloutRow, batchCount: number): RolloutOptions {
  const quantity = (text: string | null): Quantity | null => {
    if (text === null) return null;
    const parsed = parseQuantity(text);
    return parsed.ok ? parsed.value : null;
  };
  const perBatch = row.batchSoakSeconds === null ? [] : (JSON.parse(row.batchSoakSeconds) as number[]);
  return {
    releaseId: row.releaseId,
    onFailure: row.onFailure,
    failureThreshold: quantity(row.failureThreshold) ?? { kind: "count", count: 0 },
    healthTimeoutMs: row.healthTimeout * 1000,
    soakMs: Array.from({ length: batchCount }, (_, i) => (perBatch[i] ?? row.soakSeconds) * 1000),
    minDecided: row.minDecided,
    maxInFlight: quantity(row.maxInFlight),
    notBefore: row.notBefore,
    offlineAfterMs: row.offlineAfterSeconds === null ? null : row.offlineAfterSeconds * 1000,
  };
}

/** Each of `machineIds` with its reports and health reports received at or after `since`, as the health gate reads them. */
export async function gateEventsSince(
  db: DbOrTx,
  machineIds: readonly string[],
  since: number,
): Promise<Map<string, GateEvent[]>> {
  const events = await reportsSince(db, machineIds, since);
  const byMachine = new Map<string, GateEvent[]>(machineIds.map((id) => [id, []]));
  for (const r of events.reports) byMachine.get(r.machineId)?.push({ kind: "report", ...r });
  for (const h of events.health) {
    byMachine.get(h.machineId)?.push({
      kind: "health",
      receivedAt: h.receivedAt,
      allPassed: h.allPassed,
      failedCheck: h.allPassed ? null : firstFailedCheck(safeJson(h.results)),
    });
  }
  return byMachine;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
