import type { Schema } from "../../client/index.ts";
import { fields, table, when } from "../output.ts";

type Batch = Schema<"Batch">;
type MachineHealth = Schema<"MachineHealth">;

/** How many machines of a batch are healthy, unhealthy and still undecided. */
export function batchProgress(batch: Batch): { healthy: number; unhealthy: number; pending: number } {
  const counts = { healthy: 0, unhealthy: 0, pending: 0 };
  for (const health of Object.values(batch.machine_health)) counts[healthKind(health)] += 1;
  return counts;
}

export function healthKind(health: MachineHealth): "healthy" | "unhealthy" | "pending" {
  return typeof health === "object" ? "unhealthy" : health;
}

/** `rollouts list`. */
export function rolloutTable(rollouts: Schema<"RolloutSummary">[]): string {
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
          const total = r.batches.reduce((n, b) => n + b.machine_ids.length, 0);
          const healthy = r.batches.reduce((n, b) => n + batchProgress(b).healthy, 0);
          return `${healthy}/${total}`;
        },
        right: true,
      },
      { header: "CREATED", value: (r) => when(r.created_at) },
      { header: "BY", value: (r) => r.created_by },
    ],
    rollouts,
  );
}

/** `rollouts show` (and the verbs, which answer with the rollout): batches, unhealthy machines, events. */
export function rolloutDetail(r: Schema<"Rollout">): string {
  const parts = [
    fields([
      ["rollout", r.id],
      ["status", r.status],
      ["release", r.release_id],
      [
        "strategy",
        `${r.strategy}, on failure ${r.on_failure}, threshold ${r.failure_threshold}, health timeout ${r.health_timeout}s`,
      ],
      ["created", `${when(r.created_at)} by ${r.created_by}`],
      ["updated", when(r.updated_at)],
    ]),
    "\n",
    table(
      [
        { header: "BATCH", value: (b: Batch) => String(b.batch_index), right: true },
        { header: "STATUS", value: (b) => b.status },
        { header: "MACHINES", value: (b) => String(b.machine_ids.length), right: true },
        { header: "HEALTHY", value: (b) => String(batchProgress(b).healthy), right: true },
        { header: "UNHEALTHY", value: (b) => String(batchProgress(b).unhealthy), right: true },
        { header: "PENDING", value: (b) => String(batchProgress(b).pending), right: true },
        { header: "STARTED", value: (b) => when(b.started_at) },
        { header: "COMPLETED", value: (b) => when(b.completed_at) },
      ],
      r.batches,
    ),
  ];
  const unhealthy = r.batches.flatMap((b) =>
    Object.entries(b.machine_health).flatMap(([machine, health]) =>
      typeof health === "object" ? [{ batch: b.batch_index, machine, reason: health.unhealthy }] : [],
    ),
  );
  if (unhealthy.length > 0) {
    parts.push(
      "\nunhealthy machines:\n",
      table(
        [
          { header: "BATCH", value: (u: (typeof unhealthy)[number]) => String(u.batch), right: true },
          { header: "MACHINE", value: (u) => u.machine },
          { header: "REASON", value: (u) => u.reason },
        ],
        unhealthy,
      ),
    );
  }
  if (r.events.length > 0) {
    parts.push(
      "\nevents:\n",
      table(
        [
          { header: "TIME", value: (e: Schema<"RolloutEvent">) => when(e.created_at) },
          { header: "EVENT", value: (e) => e.event_type },
          { header: "ACTOR", value: (e) => e.actor },
          { header: "DETAIL", value: (e) => e.detail },
        ],
        r.events,
      ),
    );
  }
  return parts.join("");
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
