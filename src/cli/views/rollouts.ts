import type { Schema } from "../../client/index.ts";
import {
  byStateThenId,
  countdown,
  countsLabel,
  reasonCounts,
  soakProgress,
  soakSecondsOf,
  stateCounts,
} from "../../domain/rollout-progress.ts";
import { duration, eventDetail, fields, table, when } from "../output.ts";

type Rollout = Schema<"RolloutBrief">;
type Batch = Schema<"BatchBrief">;
type MachineStateName = Schema<"RolloutMachineStateName">;
type RolloutMachine = Schema<"RolloutMachine">;

/** The machine states `rollouts show` lists when none are asked for: every one with something to explain. */
export const EXPLAINED_STATES: readonly MachineStateName[] = [
  "unhealthy",
  "waiting",
  "deploying",
  "skipped",
  "superseded",
];

/** The per-state columns of `rollouts show`'s batch table. */
const COUNT_COLUMNS: readonly MachineStateName[] = [
  "healthy",
  "unhealthy",
  "deploying",
  "waiting",
  "pending",
  "skipped",
  "superseded",
];

/** `rollouts list` (the brief form). */
export function rolloutTable(rollouts: Schema<"RolloutBriefSummary">[]): string {
  return table(
    [
      { header: "ROLLOUT", value: (r) => r.id },
      { header: "STATUS", value: (r) => r.status },
      { header: "STRATEGY", value: (r) => r.strategy },
      { header: "RELEASE", value: (r) => r.release_id },
      {
        header: "BATCHES",
        value: (r) => `${r.batches.filter((b) => b.status === "succeeded").length}/${r.batches.length}`,
        right: true,
      },
      {
        header: "HEALTHY",
        value: (r) => {
          const total = r.batches.reduce((n, b) => n + b.machine_count, 0);
          return `${stateCounts(r.batches).healthy}/${total}`;
        },
        right: true,
      },
      { header: "BLOCKED BY", value: (r) => r.blocked_by.join(",") || "-" },
      { header: "CREATED", value: (r) => when(r.created_at) },
      { header: "BY", value: (r) => r.created_by },
    ],
    rollouts,
  );
}

/** The status with why it is paused, when an operator said. */
export function statusText(r: {
  status: Rollout["status"];
  pause_reason: string | null;
  batches: Pick<Batch, "status" | "batch_index">[];
}): string {
  if (r.status !== "paused") return r.status;
  const failed = r.batches.find((b) => b.status === "failed");
  if (failed) return `paused (batch ${failed.batch_index} failed)`;
  return r.pause_reason ? `paused by an operator: ${r.pause_reason}` : "paused by an operator";
}

/** The §14.2 options a rollout was created with, those not at their default; "-" when none. */
export function optionsText(r: Rollout): string {
  const parts: string[] = [];
  if (r.soak_seconds > 0) parts.push(`soak ${duration(r.soak_seconds)}`);
  if (r.batch_soak_seconds) parts.push(`batch soaks ${r.batch_soak_seconds.map(duration).join(",")}`);
  if (r.min_decided !== null) parts.push(`min decided ${r.min_decided}`);
  if (r.max_in_flight !== null) parts.push(`max in flight ${r.max_in_flight}`);
  if (r.not_before !== null) parts.push(`not before ${when(r.not_before)}`);
  if (r.offline_after_seconds !== null) parts.push(`offline after ${duration(r.offline_after_seconds)}`);
  if (r.supersede) parts.push("supersede");
  if (r.cache_url) parts.push(`cache ${r.cache_url}`);
  return parts.join(", ") || "-";
}

/** A soaking batch's time left (`4m 05s left`), or "" when it does not soak. */
export function soakText(r: Rollout, b: Batch, now: number): string {
  const soak = soakProgress(b, soakSecondsOf(r, b.batch_index), now);
  return soak ? `${countdown(soak.leftSeconds)} left` : "";
}

interface MachineRow {
  batch: number;
  machine: string;
  state: MachineStateName;
  reason: string;
  started: string | null;
}

/** Machines as the CLI lists them: batch by batch, those needing a look first (by state, then id). */
export function machineRows(machines: readonly RolloutMachine[]): MachineRow[] {
  return machines
    .map((m) => ({
      batch: m.batch_index,
      machine: m.machine_id,
      state: m.state,
      reason: m.reason ?? "",
      started: m.deploy_started_at,
    }))
    .sort(
      (a, c) =>
        a.batch - c.batch || byStateThenId({ id: a.machine, state: a.state }, { id: c.machine, state: c.state }),
    );
}

/**
 * `rollouts show`: what holds the rollout, its batches with each state counted, `machines` (those
 * in `states`) with their reasons, its events.
 */
export function rolloutDetail(
  r: Rollout,
  machines: readonly RolloutMachine[],
  now: number,
  states: readonly MachineStateName[] = EXPLAINED_STATES,
): string {
  const all = stateCounts(r.batches);
  const parts = [
    fields([
      ["rollout", r.id],
      ["status", statusText(r)],
      ["blocked by", r.blocked_by.join(", ") || "-"],
      ["release", r.release_id],
      [
        "strategy",
        `${r.strategy}, on failure ${r.on_failure}, threshold ${r.failure_threshold}, health timeout ${r.health_timeout}s`,
      ],
      ["options", optionsText(r)],
      ["progress", countsLabel(all, reasonCounts(r.batches, "waiting"))],
      ["created", `${when(r.created_at)} by ${r.created_by}`],
      ["updated", when(r.updated_at)],
    ]),
    "\n",
    table(
      [
        { header: "BATCH", value: (b: Batch) => String(b.batch_index), right: true },
        { header: "STATUS", value: (b) => b.status },
        { header: "MACHINES", value: (b) => String(b.machine_count), right: true },
        ...COUNT_COLUMNS.map((state) => ({
          header: state.toUpperCase(),
          value: (b: Batch) => String(b.state_counts[state]),
          right: true,
        })),
        { header: "SOAK", value: (b) => soakText(r, b, now) || "-" },
        { header: "STARTED", value: (b) => when(b.started_at) },
        { header: "COMPLETED", value: (b) => when(b.completed_at) },
      ],
      r.batches,
    ),
  ];
  const rows = machineRows(machines);
  const hidden = r.batches.reduce((n, b) => n + b.machine_count, 0) - rows.length;
  parts.push(
    `\nmachines ${states.join(", ")}${hidden > 0 ? ` (${hidden} other${hidden === 1 ? "" : "s"} not listed; --state picks)` : ""}:\n`,
    rows.length === 0
      ? "none\n"
      : table(
          [
            { header: "BATCH", value: (m: MachineRow) => String(m.batch), right: true },
            { header: "MACHINE", value: (m) => m.machine },
            { header: "STATE", value: (m) => m.state },
            { header: "REASON", value: (m) => m.reason || "-" },
            { header: "STARTED", value: (m) => when(m.started) },
          ],
          rows,
        ),
  );
  if (r.events.length > 0) {
    parts.push(
      "\nevents:\n",
      table(
        [
          { header: "TIME", value: (e: Schema<"RolloutEvent">) => when(e.created_at) },
          { header: "EVENT", value: (e) => e.event_type },
          { header: "ACTOR", value: (e) => e.actor },
          { header: "DETAIL", value: (e) => eventDetail(e.detail) },
        ],
        r.events,
      ),
    );
  }
  return parts.join("");
}

/** What a verb answers, in short: the rollout's status, its progress, what holds it. */
export function verbOutcome(r: Rollout): string {
  return fields([
    ["rollout", r.id],
    ["status", statusText(r)],
    ["progress", countsLabel(stateCounts(r.batches), reasonCounts(r.batches, "waiting"))],
    ["blocked by", r.blocked_by.join(", ") || "-"],
  ]);
}

/** `rollouts trace`: one transition per line, in order. */
export function traceTable(trace: Schema<"TraceEvent">[]): string {
  return table(
    [
      { header: "EVENT", value: (e) => String(e.id), right: true },
      { header: "TIME", value: (e) => e.timestamp.slice(0, 19).replace("T", " ") },
      { header: "ACTION", value: (e) => e.action },
      { header: "MACHINE", value: (e) => e.machine_id ?? "-" },
      { header: "BATCH", value: (e) => (e.batch_index === null ? "-" : String(e.batch_index)), right: true },
      { header: "REASON", value: (e) => e.reason ?? "-" },
      { header: "ACTOR", value: (e) => e.actor },
    ],
    trace,
  );
}

/** `rollouts create`: the planned batches. */
export function createdRollout(created: Schema<"CreatedRollout">): string {
  return (
    `${created.rollout_id}: ${created.total_machines} machines in ${created.batches.length} batches\n` +
    table(
      [
        { header: "BATCH", value: (b: Schema<"PlannedBatch">) => String(b.batch_index), right: true },
        { header: "MACHINES", value: (b) => String(b.machine_ids.length), right: true },
        {
          header: "FIRST",
          value: (b) => b.machine_ids.slice(0, 5).join(", ") + (b.machine_ids.length > 5 ? ", …" : ""),
        },
      ],
      created.batches,
    )
  );
}
