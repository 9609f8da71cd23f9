import { and, asc, desc, eq, gt, inArray, lt, sql } from "drizzle-orm";
import type { Lifecycle } from "../domain/lifecycle.ts";
import {
  applyReport,
  normalizeTags,
  type MachineSnapshot,
  type ReportChange,
  type SystemState,
} from "../domain/machines.ts";
import type { AuditEntry } from "./audit.ts";
import { jsonList, jsonRows, selectJson } from "./bulk-json.ts";
import type { DbOrTx, WriteSession } from "./database.ts";
import { desiredGenerations, healthReports, machines, machineTags, reports } from "./schema.ts";

export type MachineRow = typeof machines.$inferSelect;
export type ReportRow = typeof reports.$inferSelect;
export type HealthReportRow = typeof healthReports.$inferSelect;

/** A machine with what the list and detail views show beside its row. */
export interface MachineListing extends MachineRow {
  desiredGeneration: string | null;
  tags: string[];
}

/** The machine row, or undefined when it is not registered. */
export async function findMachine(db: DbOrTx, machineId: string): Promise<MachineRow | undefined> {
  const rows = await db.select().from(machines).where(eq(machines.machineId, machineId)).limit(1);
  return rows[0];
}

/** The machine's tags, sorted. */
export async function machineTagList(db: DbOrTx, machineId: string): Promise<string[]> {
  const rows = await db
    .select({ tag: machineTags.tag })
    .from(machineTags)
    .where(eq(machineTags.machineId, machineId))
    .orderBy(asc(machineTags.tag));
  return rows.map((r) => r.tag);
}

/** Machine ids carrying every one of `tags`, as a subquery. */
function machinesWithAllTags(tags: string[]) {
  const unique = normalizeTags(tags);
  return sql`select ${machineTags.machineId} from ${machineTags} where ${inArray(machineTags.tag, unique)}
    group by ${machineTags.machineId} having count(*) = ${unique.length}`;
}

/**
 * A machine's `system_state` computed by SQLite, for filters and counts over the whole fleet:
 * the same rule as `systemState` in domain/machines.ts (a test holds the two together).
 */
export const systemStateSql = sql<SystemState>`(case
  when ${machines.lastReportAt} is null or ${machines.lastSuccess} is null then 'unknown'
  when ${machines.lastSuccess} = 1 and coalesce(${machines.lastHealthPassed}, 1) = 1 then 'ok'
  else 'error' end)`;

/** Which machines a listing shows. */
export interface MachineFilter {
  /** Only machines carrying every one of these tags. */
  tags: string[];
  /** Only machines in one of these lifecycle states (absent or empty: any). */
  lifecycles?: readonly Lifecycle[];
  /** Only machines whose system state is one of these (absent or empty: any). */
  states?: readonly SystemState[];
  /** Only machines whose id sorts after this one (the previous page's last). */
  after: string | null;
  /** At most this many. */
  limit: number;
}

/** A listed machine as `listMachines`' query spells it: the `machines` columns, then desired generation and tags. */
type MachineListingJson = [
  string,
  MachineRow["lifecycle"],
  number,
  string | null,
  string | null,
  number | null,
  0 | 1 | null,
  0 | 1 | null,
  number | null,
  string | null,
  number | null,
  string | null,
  string[],
];

const asBoolean = (value: 0 | 1 | null) => (value === null ? null : value === 1);

/**
 * Machines matching `filter`, ordered by id, with desired generation and tags. One statement
 * returns the page as one JSON document: for 1 000 machines a quarter of the time a joined select
 * and a tag query mapped row by row by the driver and Drizzle took, which matters when a whole
 * fleet is listed page after page.
 */
export async function listMachines(db: DbOrTx, filter: MachineFilter): Promise<MachineListing[]> {
  const { tags, after, limit } = filter;
  const lifecycles = filter.lifecycles ?? [];
  const states = filter.states ?? [];
  const where = and(
    tags.length > 0 ? sql`${machines.machineId} in (${machinesWithAllTags(tags)})` : undefined,
    lifecycles.length > 0 ? inArray(machines.lifecycle, [...lifecycles]) : undefined,
    states.length > 0 ? inArray(systemStateSql, [...states]) : undefined,
    after !== null ? gt(machines.machineId, after) : undefined,
  );
  const rows = await selectJson<MachineListingJson[]>(
    db,
    // Ordered by subqueries, not by an ORDER BY inside the aggregate: a libSQL server's own SQL
    // parser (sqld 0.24) refuses that newer syntax.
    sql`select json_group_array(json_array(m.machine_id, m.lifecycle, m.registered_at, m.current_generation,
        m.agent_version, m.uptime_seconds, m.last_success, m.last_health_passed, m.last_report_at,
        m.last_report_timestamp, m.latest_health_id, m.desired,
        (select json_group_array(tag) from (select t.tag from ${machineTags} as t
          where t.machine_id = m.machine_id order by t.tag))))
      from (select page.*, d.store_path as desired
        from (select * from ${machines} where ${where ?? sql`true`} order by ${machines.machineId} limit ${limit}) as page
        left join ${desiredGenerations} as d on d.machine_id = page.machine_id
        order by page.machine_id) as m`,
  );
  return rows.map((row) => ({
    machineId: row[0],
    lifecycle: row[1],
    registeredAt: row[2],
    currentGeneration: row[3],
    agentVersion: row[4],
    uptimeSeconds: row[5],
    lastSuccess: asBoolean(row[6]),
    lastHealthPassed: asBoolean(row[7]),
    lastReportAt: row[8],
    lastReportTimestamp: row[9],
    latestHealthId: row[10],
    desiredGeneration: row[11],
    tags: row[12],
  }));
}

/** One machine as the list shows it, or undefined. */
export async function getMachineListing(db: DbOrTx, machineId: string): Promise<MachineListing | undefined> {
  const rows = await db
    .select({ machine: machines, desiredGeneration: desiredGenerations.storePath })
    .from(machines)
    .leftJoin(desiredGenerations, eq(desiredGenerations.machineId, machines.machineId))
    .where(eq(machines.machineId, machineId))
    .limit(1);
  const row = rows[0];
  if (!row) return undefined;
  return { ...row.machine, desiredGeneration: row.desiredGeneration, tags: await machineTagList(db, machineId) };
}

/** The machine's newest reports, newest first. */
export async function recentReports(db: DbOrTx, machineId: string, limit: number): Promise<ReportRow[]> {
  return db
    .select()
    .from(reports)
    .where(eq(reports.machineId, machineId))
    .orderBy(desc(reports.receivedAt), desc(reports.id))
    .limit(limit);
}

/** The machine's newest health report, or undefined. */
export async function latestHealthReport(db: DbOrTx, machineId: string): Promise<HealthReportRow | undefined> {
  const rows = await db
    .select({ health: healthReports })
    .from(machines)
    .innerJoin(healthReports, eq(healthReports.id, machines.latestHealthId))
    .where(eq(machines.machineId, machineId))
    .limit(1);
  return rows[0]?.health;
}

/** Inserts a machine, or for a registered one sets the lifecycle (when given). Returns the resulting lifecycle. */
export async function upsertRegistration(
  tx: DbOrTx,
  machineId: string,
  lifecycle: Lifecycle | undefined,
  at: number,
): Promise<{ lifecycle: Lifecycle; created: boolean }> {
  const existing = await findMachine(tx, machineId);
  if (!existing) {
    const created = lifecycle ?? "active";
    await tx.insert(machines).values({ machineId, lifecycle: created, registeredAt: at });
    return { lifecycle: created, created: true };
  }
  if (lifecycle !== undefined && lifecycle !== existing.lifecycle) {
    await setLifecycle(tx, machineId, lifecycle);
  }
  return { lifecycle: lifecycle ?? existing.lifecycle, created: false };
}

export async function setLifecycle(tx: DbOrTx, machineId: string, lifecycle: Lifecycle): Promise<void> {
  await tx.update(machines).set({ lifecycle }).where(eq(machines.machineId, machineId));
}

/** Replaces the machine's tags with `tags`. */
export async function replaceTags(tx: DbOrTx, machineId: string, tags: string[]): Promise<void> {
  await tx.delete(machineTags).where(eq(machineTags.machineId, machineId));
  const unique = normalizeTags(tags);
  if (unique.length > 0) await tx.insert(machineTags).values(unique.map((tag) => ({ machineId, tag })));
}

/** Sets what the machine should run. */
export async function setDesiredGeneration(
  tx: DbOrTx,
  desired: { machineId: string; storePath: string; cacheUrl: string | null; setAt: number; setBy: string },
): Promise<void> {
  await tx
    .insert(desiredGenerations)
    .values(desired)
    .onConflictDoUpdate({
      target: desiredGenerations.machineId,
      set: { storePath: desired.storePath, cacheUrl: desired.cacheUrl, setAt: desired.setAt, setBy: desired.setBy },
    });
}

/** Clears the desired generation; returns the store path that was desired, or null. */
export async function clearDesiredGeneration(tx: DbOrTx, machineId: string): Promise<string | null> {
  const deleted = await tx
    .delete(desiredGenerations)
    .where(eq(desiredGenerations.machineId, machineId))
    .returning({ storePath: desiredGenerations.storePath });
  return deleted[0]?.storePath ?? null;
}

/** `[machine_id, lifecycle, last_report_at]` of every machine (start-up load of the in-memory view). */
export async function machineSummaries(db: DbOrTx): Promise<[string, Lifecycle, number | null][]> {
  return selectJson(
    db,
    sql`select json_group_array(json_array(${machines.machineId}, ${machines.lifecycle}, ${machines.lastReportAt})) from ${machines}`,
  );
}

/** `[machine_id, store_path, cache_url]` of every desired generation (start-up load of the in-memory view). */
export async function allDesiredGenerations(db: DbOrTx): Promise<[string, string, string | null][]> {
  return selectJson(
    db,
    sql`select json_group_array(json_array(${desiredGenerations.machineId}, ${desiredGenerations.storePath}, ${desiredGenerations.cacheUrl})) from ${desiredGenerations}`,
  );
}

/** An agent report as validated by the route, in storage spelling. */
export interface IncomingReport {
  machineId: string;
  currentGeneration: string;
  success: boolean;
  message: string;
  agentTimestamp: string;
  /** `agentTimestamp` re-spelled in UTC. */
  reportedAt: string;
  tags: string[];
  health: { results: unknown[]; allPassed: boolean; agentTimestamp: string } | null;
  agentVersion: string;
  uptimeSeconds: number;
}

/** What storing one report did to its machine. */
export interface StoredReport {
  /** The report's id (`reports.id`). */
  reportId: number;
  machineId: string;
  lifecycle: Lifecycle;
  changes: ReportChange[];
}

/**
 * Stores a batch of reports (in arrival order) and their effects on the machines in a fixed
 * handful of statements, whatever the batch size: read the machines, upsert them, rewrite
 * changed tag sets, insert reports, health reports and audit events.
 */
export async function storeReports(
  session: WriteSession,
  at: number,
  batch: IncomingReport[],
): Promise<StoredReport[]> {
  const ids = [...new Set(batch.map((r) => r.machineId))];
  // Everything the batch needs to know comes back in one statement (a statement costs more to
  // prepare and run than most rows do): each machine with its tags, and the last report id
  // AUTOINCREMENT gave (reports get their ids here; writes are serialized), so that each health
  // report can be stored under its report's id and each machine can point at its newest health
  // report without a per-machine index on health_reports.
  const [row] = await session.values<[string]>(
    sql`select json_object(
      'machines', (select json_group_array(json_array(${machines.machineId}, ${machines.lifecycle},
          ${machines.currentGeneration}, ${machines.lastSuccess},
          (select json_group_array(${machineTags.tag}) from ${machineTags} where ${machineTags.machineId} = ${machines.machineId})))
        from ${machines} where ${machines.machineId} in ${jsonList(ids)}),
      'lastReportId', coalesce((select seq from sqlite_sequence where name = 'reports'), 0))`,
  );
  const { machines: existing, lastReportId } = JSON.parse(row![0]) as {
    machines: [string, Lifecycle, string | null, 0 | 1 | null, string[]][];
    lastReportId: number;
  };

  const state = new Map<string, MachineSnapshot>();
  const existingLifecycle = new Map<string, Lifecycle>();
  for (const [machineId, lifecycle, currentGeneration, lastSuccess, tags] of existing) {
    existingLifecycle.set(machineId, lifecycle);
    state.set(machineId, {
      lifecycle,
      currentGeneration,
      lastSuccess: lastSuccess === null ? null : lastSuccess === 1,
      tags,
    });
  }

  const reportId = (index: number) => lastReportId + 1 + index;
  const results: StoredReport[] = [];
  const lastReport = new Map<string, IncomingReport>();
  const tagsRewritten = new Set<string>();
  const audits: AuditEntry[] = [];
  batch.forEach((report, i) => {
    const outcome = applyReport(state.get(report.machineId) ?? null, report);
    state.set(report.machineId, outcome.next);
    lastReport.set(report.machineId, report);
    if (outcome.tagsChanged) tagsRewritten.add(report.machineId);
    results.push({
      reportId: reportId(i),
      machineId: report.machineId,
      lifecycle: outcome.next.lifecycle,
      changes: outcome.changes,
    });
    if (outcome.changes.length > 0) {
      audits.push({
        actor: `machine:${report.machineId}`,
        action: "report",
        target: report.machineId,
        detail: {
          changes: outcome.changes,
          current_generation: report.currentGeneration,
          success: report.success,
          ...(outcome.tagsChanged ? { tags: outcome.next.tags } : {}),
        },
      });
    }
  });

  const latestHealthId = new Map<string, number>();
  batch.forEach((r, i) => {
    if (r.health !== null) latestHealthId.set(r.machineId, reportId(i));
  });

  // Each batch goes in as one JSON parameter per statement, unpacked by json_each: the
  // statements stay short and alike whatever the batch size (no 4 500-placeholder SQL to
  // build and prepare for every commit).
  await session.run(sql`insert into machines (machine_id, lifecycle, registered_at, current_generation, agent_version,
      uptime_seconds, last_success, last_health_passed, last_report_at, latest_health_id, last_report_timestamp)
    select value ->> 0, value ->> 1, ${at}, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6, ${at},
      value ->> 7, value ->> 8
    from json_each(${jsonRows(
      [...lastReport.values()].map((r) => [
        r.machineId,
        state.get(r.machineId)!.lifecycle,
        r.currentGeneration,
        r.agentVersion,
        r.uptimeSeconds,
        r.success,
        r.health?.allPassed ?? null,
        latestHealthId.get(r.machineId) ?? null,
        r.reportedAt,
      ]),
    )}) where true
    on conflict (machine_id) do update set
      current_generation = excluded.current_generation, agent_version = excluded.agent_version,
      uptime_seconds = excluded.uptime_seconds, last_success = excluded.last_success,
      last_health_passed = excluded.last_health_passed, last_report_at = excluded.last_report_at,
      last_report_timestamp = excluded.last_report_timestamp,
      latest_health_id = coalesce(excluded.latest_health_id, machines.latest_health_id)`);
  // Lifecycle is set apart, only where a report changed it: SQLite rewrites an index entry for
  // every column a SET names, and a lifecycle leaf per report is one more random page written.
  const relifecycled = [...lastReport.keys()].filter((id) => {
    const before = existingLifecycle.get(id);
    return before !== undefined && before !== state.get(id)!.lifecycle;
  });
  if (relifecycled.length > 0) {
    await session.run(sql`update machines set lifecycle = value ->> 1
      from json_each(${jsonRows(relifecycled.map((id) => [id, state.get(id)!.lifecycle]))})
      where machines.machine_id = value ->> 0`);
  }

  if (tagsRewritten.size > 0) {
    await session.run(
      sql`delete from ${machineTags} where ${machineTags.machineId} in ${jsonList([...tagsRewritten])}`,
    );
    await session.run(sql`insert into machine_tags (machine_id, tag) select value ->> 0, value ->> 1
      from json_each(${jsonRows([...tagsRewritten].flatMap((id) => state.get(id)!.tags.map((tag) => [id, tag])))})`);
  }

  await session.run(sql`insert into reports (id, machine_id, received_at, current_generation, success, message,
      agent_timestamp, agent_version, uptime_seconds)
    select value ->> 7, value ->> 0, ${at}, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5,
      value ->> 6
    from json_each(${jsonRows(
      batch.map((r, i) => [
        r.machineId,
        r.currentGeneration,
        r.success,
        r.message,
        r.agentTimestamp,
        r.agentVersion,
        r.uptimeSeconds,
        reportId(i),
      ]),
    )})`);
  const health = batch.flatMap((r, i) => (r.health === null ? [] : [{ id: reportId(i), report: r, health: r.health }]));
  if (health.length > 0) {
    await session.run(sql`insert into health_reports (id, machine_id, received_at, all_passed, results, agent_timestamp)
      select value ->> 0, value ->> 1, ${at}, value ->> 2, value ->> 3, value ->> 4
      from json_each(${jsonRows(
        health.map(({ id, report, health }) => [
          id,
          report.machineId,
          health.allPassed,
          JSON.stringify(health.results),
          health.agentTimestamp,
        ]),
      )})`);
  }
  await session.recordAudit(at, audits);
  return results;
}

/** Ids and times of up to `limit` reports (or health reports) received before `cutoff`, after the cursor. */
export async function agedRowsAfter(
  db: DbOrTx,
  table: typeof reports | typeof healthReports,
  cutoff: number,
  after: { receivedAt: number; id: number },
  limit: number,
): Promise<{ id: number; receivedAt: number }[]> {
  return db
    .select({ id: table.id, receivedAt: table.receivedAt })
    .from(table)
    .where(
      and(lt(table.receivedAt, cutoff), sql`(${table.receivedAt}, ${table.id}) > (${after.receivedAt}, ${after.id})`),
    )
    .orderBy(asc(table.receivedAt), asc(table.id))
    .limit(limit);
}

/** Deletes the given report (or health report) rows, except any that is its machine's latest. Returns how many went. */
export async function deleteUnlessLatest(
  tx: DbOrTx,
  table: typeof reports | typeof healthReports,
  ids: number[],
): Promise<number> {
  if (ids.length === 0) return 0;
  const listed = sql.join(
    ids.map((id) => sql`${id}`),
    sql`, `,
  );
  const result = await tx.run(
    table === reports
      ? sql`delete from reports where id in (${listed}) and id <> (select latest.id from reports as latest
          where latest.machine_id = reports.machine_id order by latest.received_at desc, latest.id desc limit 1)`
      : sql`delete from health_reports where id in (${listed}) and id is not (select m.latest_health_id
          from machines as m where m.machine_id = health_reports.machine_id)`,
  );
  return result.rowsAffected;
}
