import type { Schema } from "../../client/index.ts";
import { batchProgress } from "./rollouts.ts";

type Rollout = Schema<"Rollout">;

const BAR_WIDTH = 20;

/** `[#####---]`: healthy as `#`, unhealthy as `x`, the rest still open. */
function bar(healthy: number, unhealthy: number, total: number): string {
  if (total === 0) return `[${"-".repeat(BAR_WIDTH)}]`;
  const good = Math.round((healthy / total) * BAR_WIDTH);
  const bad = Math.min(BAR_WIDTH - good, Math.round((unhealthy / total) * BAR_WIDTH));
  return `[${"#".repeat(good)}${"x".repeat(bad)}${"-".repeat(BAR_WIDTH - good - bad)}]`;
}

function counts(healthy: number, unhealthy: number, total: number): string {
  return `${healthy}/${total} healthy${unhealthy > 0 ? `, ${unhealthy} unhealthy` : ""}`;
}

/** `deploy --wait`'s progress: the rollout, then one line per batch. */
export function progressLines(rollout: Rollout): string[] {
  const batches = rollout.batches.map((b) => ({ batch: b, ...batchProgress(b), total: b.machine_ids.length }));
  const healthy = batches.reduce((n, b) => n + b.healthy, 0);
  const unhealthy = batches.reduce((n, b) => n + b.unhealthy, 0);
  const total = batches.reduce((n, b) => n + b.total, 0);
  const statusWidth = Math.max(...batches.map((b) => b.batch.status.length), 0);
  return [
    `rollout ${rollout.id}  ${rollout.status}  ${counts(healthy, unhealthy, total)}`,
    ...batches.map(
      (b) =>
        `  batch ${b.batch.batch_index}  ${b.batch.status.padEnd(statusWidth)}  ${bar(b.healthy, b.unhealthy, b.total)}  ${counts(b.healthy, b.unhealthy, b.total)}`,
    ),
  ];
}

/** The line `deploy --wait` ends with. */
export function outcomeLine(rollout: Rollout): string {
  const failed = rollout.batches.find((b) => b.status === "failed");
  const reason = failed && rollout.status !== "completed" ? ` (batch ${failed.batch_index} failed)` : "";
  return `rollout ${rollout.id} ${rollout.status}${reason}\n`;
}
