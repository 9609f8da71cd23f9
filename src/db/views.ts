// What the in-memory views (the agents' answers, fleet metrics) read back from the database to
// follow other processes' writes (SPEC §18): a machine as the views hold it, rollout membership,
// and the reports table as a tail.
import { sql } from "drizzle-orm";
import type { Lifecycle } from "../domain/lifecycle.ts";
import { ACTIVE_ROLLOUT_STATUSES } from "../domain/rollout-machine.ts";
import { jsonRows, selectJson } from "./bulk-json.ts";
import type { DbOrTx } from "./database.ts";
import { desiredGenerations, machines, reports, rolloutMachines, rollouts } from "./schema.ts";

/** A machine as the views hold it, read back from the database. */
export interface FollowedMachine {
  machineId: string;
  /** Null when the machine is not registered. */
  lifecycle: Lifecycle | null;
  lastReportAt: number | null;
  desired: { storePath: string; cacheUrl: string | null } | null;
}

const activeStatuses = sql.join(
  ACTIVE_ROLLOUT_STATUSES.map((s) => sql`${s}`),
  sql`, `,
);

/** The machines `ids` as the views hold them (rollout membership apart: see `heldBy`), in one statement. */
export async function followedMachines(db: DbOrTx, ids: readonly string[]): Promise<FollowedMachine[]> {
  if (ids.length === 0) return [];
  const rows = await selectJson<[string, Lifecycle | null, number | null, string | null, string | null][]>(
    db,
    sql`select json_group_array(json_array(j.value, m.lifecycle, m.last_report_at, d.store_path, d.cache_url))
      from json_each(${JSON.stringify(ids)}) j
      left join ${machines} m on m.machine_id = j.value
      left join ${desiredGenerations} d on d.machine_id = j.value`,
  );
  return rows.map(([machineId, lifecycle, lastReportAt, storePath, cacheUrl]) => ({
    machineId,
    lifecycle,
    lastReportAt,
    desired: storePath === null ? null : { storePath, cacheUrl },
  }));
}

/**
 * Of the `[machine id, rollout id]` pairs, those where that rollout is active and holds the
 * machine (not skipped or superseded there): one primary-key lookup per pair. (rollout_machines
 * has no index on the machine alone, so which rollout holds a machine is asked of the rollouts
 * that may: a machine is in at most one active rollout.)
 */
export async function heldBy(db: DbOrTx, pairs: readonly (readonly [string, string])[]): Promise<[string, string][]> {
  if (pairs.length === 0) return [];
  return selectJson<[string, string][]>(
    db,
    sql`select json_group_array(json_array(rm.machine_id, rm.rollout_id))
      from json_each(${jsonRows(pairs.map(([machineId, rolloutId]) => [machineId, rolloutId]))}) j
      join ${rollouts} r on r.id = j.value ->> 1
      join ${rolloutMachines} rm on rm.rollout_id = r.id and rm.machine_id = j.value ->> 0
      where r.status in (${activeStatuses}) and rm.health not in ('skipped', 'superseded')`,
  );
}

/** A rollout's machines, whatever their state there, in id order after `after`, at most `limit`. */
export async function rolloutMachineIdsPage(
  db: DbOrTx,
  rolloutId: string,
  after: string,
  limit: number,
): Promise<string[]> {
  return selectJson<string[]>(
    db,
    sql`select json_group_array(machine_id) from (select machine_id from ${rolloutMachines}
      where rollout_id = ${rolloutId} and machine_id > ${after} order by machine_id limit ${limit})`,
  );
}

/** Every machine held by an active rollout (not skipped or superseded there), with that rollout. */
export async function activeRolloutMembers(db: DbOrTx): Promise<[string, string][]> {
  return selectJson<[string, string][]>(
    db,
    sql`select json_group_array(json_array(rm.machine_id, rm.rollout_id)) from ${rollouts} r
      join ${rolloutMachines} rm on rm.rollout_id = r.id
      where r.status in (${activeStatuses}) and rm.health not in ('skipped', 'superseded')`,
  );
}

/** The newest report id (0 when none): where a tail of the reports starts. */
export async function latestReportId(db: DbOrTx): Promise<number> {
  const [row] = await db.values<[number | null]>(sql`select max(${reports.id}) from ${reports}`);
  return Number(row?.[0] ?? 0);
}

/**
 * Per machine, the newest receive time among the reports whose ids lie in `ranges` (inclusive
 * `[from, to]` pairs): one statement, each range a walk of the primary key.
 */
export async function reportTimesInRanges(
  db: DbOrTx,
  ranges: readonly (readonly [number, number])[],
): Promise<[string, number][]> {
  if (ranges.length === 0) return [];
  return selectJson<[string, number][]>(
    db,
    sql`select json_group_array(json_array(machine_id, at)) from (
      select r.machine_id as machine_id, max(r.received_at) as at
      from json_each(${jsonRows(ranges.map(([from, to]) => [from, to]))}) j
      join ${reports} r on r.id between j.value ->> 0 and j.value ->> 1
      group by r.machine_id)`,
  );
}
