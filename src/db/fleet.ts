import { sql } from "drizzle-orm";
import type { Lifecycle } from "../domain/lifecycle.ts";
import type { SystemState } from "../domain/machines.ts";
import type { DbOrTx } from "./database.ts";
import { systemStateSql } from "./machines.ts";
import { desiredGenerations, machines } from "./schema.ts";

/** Machines counted by lifecycle and system state, with the agents that went quiet and those behind. */
export interface FleetCounts {
  cells: { lifecycle: Lifecycle; state: SystemState; machines: number }[];
  /** Machines (not decommissioned) that reported once but not since `staleBefore`. */
  stale: number;
  /** Machines (not decommissioned) whose desired generation is not what they last reported. */
  behindDesired: number;
}

/**
 * One pass over the machine table (SQLite aggregates; no row reaches JavaScript): at 100 000
 * machines this is the price of the fleet overview and `status`.
 */
export async function fleetCounts(db: DbOrTx, staleBefore: number): Promise<FleetCounts> {
  const live = sql`${machines.lifecycle} <> 'decommissioned'`;
  const rows = await db.values<[Lifecycle, SystemState, number, number, number]>(sql`
    select ${machines.lifecycle}, ${systemStateSql}, count(*),
      coalesce(sum(${live} and ${machines.lastReportAt} < ${staleBefore}), 0),
      coalesce(sum(${live} and ${desiredGenerations.storePath} is not null
        and ${desiredGenerations.storePath} is not ${machines.currentGeneration}), 0)
    from ${machines}
    left join ${desiredGenerations} on ${desiredGenerations.machineId} = ${machines.machineId}
    group by 1, 2`);
  // The driver's rows are indexable, not iterable.
  return {
    cells: rows.map((row) => ({ lifecycle: row[0], state: row[1], machines: Number(row[2]) })),
    stale: rows.reduce((sum, row) => sum + Number(row[3]), 0),
    behindDesired: rows.reduce((sum, row) => sum + Number(row[4]), 0),
  };
}
