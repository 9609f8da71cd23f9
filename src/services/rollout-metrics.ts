import { Counter, Gauge, type Registry } from "prom-client";
import type { DbOrTx } from "../db/database.ts";
import { ACTIVE_ROLLOUT_STATUSES, ROLLOUT_STATUSES, countRolloutsByStatus } from "../db/rollouts.ts";
import type { RolloutExecutor } from "./rollout-executor.ts";

/**
 * Registers the rollout gauges of SPEC §9, counted from the database at scrape time: one
 * grouped count over the status index, so they can never drift from what the API shows.
 */
export function registerRolloutMetrics(registry: Registry, db: DbOrTx, executor: RolloutExecutor): void {
  const byStatus = async () => {
    const counts = Object.fromEntries(ROLLOUT_STATUSES.map((s) => [s, 0])) as Record<string, number>;
    for (const { status, n } of await countRolloutsByStatus(db)) counts[status] = n;
    return counts;
  };
  new Gauge({
    name: "nixfleet_rollouts_total",
    help: "Rollouts by status",
    labelNames: ["status"] as const,
    registers: [registry],
    async collect() {
      const counts = await byStatus();
      for (const status of ROLLOUT_STATUSES) this.set({ status }, counts[status]!);
    },
  });
  new Gauge({
    name: "nixfleet_rollouts_active",
    help: "Rollouts still holding their machines (created, scheduled, running or paused)",
    registers: [registry],
    async collect() {
      const counts = await byStatus();
      this.set(ACTIVE_ROLLOUT_STATUSES.reduce((sum, status) => sum + counts[status]!, 0));
    },
  });
  // Counted by the executor as machines (or a scheduled rollout) are newly held back; the label is
  // the gate as reasons name it (freeze, window:<name>, budget:<name>, max_in_flight, not_before,
  // paused), bounded by the gates an admin defines.
  new Counter({
    name: "nixfleet_gate_blocks_total",
    help: "Times a gate newly held back a machine of a rollout (or a scheduled rollout), by gate",
    labelNames: ["gate"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [gate, n] of executor.gateBlocks) this.inc({ gate }, n);
    },
  });
}
