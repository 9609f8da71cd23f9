import type { Schema } from "../../client/index.ts";
import {
  countdown,
  countsLabel,
  reasonCounts,
  soakProgress,
  soakSecondsOf,
  stateCounts,
  totalOf,
  type StateCounts,
} from "../../domain/rollout-progress.ts";
import { machineRows, statusText } from "./rollouts.ts";

type Rollout = Schema<"RolloutBrief">;

const BAR_WIDTH = 20;
/** Unhealthy, skipped and superseded machines named under their batch, at most. */
export const MACHINES_NAMED = 5;
/** The states whose machines are named under their batch. */
export const NAMED_STATES = ["unhealthy", "skipped", "superseded"] as const;

/** `[##x>>---]`: healthy `#`, unhealthy `x`, deploying `>`, skipped or superseded `/`, not started `-`. */
function bar(counts: StateCounts): string {
  const total = totalOf(counts);
  if (total === 0) return `[${"-".repeat(BAR_WIDTH)}]`;
  let left = BAR_WIDTH;
  const segment = (n: number, mark: string) => {
    const width = Math.min(left, Math.round((n / total) * BAR_WIDTH));
    left -= width;
    return mark.repeat(width);
  };
  const drawn =
    segment(counts.healthy, "#") +
    segment(counts.unhealthy, "x") +
    segment(counts.deploying, ">") +
    segment(counts.skipped + counts.superseded, "/");
  return `[${drawn}${"-".repeat(left)}]`;
}

export interface ProgressOptions {
  /** Milliseconds since the epoch, for a soak's time left. */
  now: number;
  /** A display redrawn in place shows a soak's time left; a log shows when it ends (a line that does not change). */
  live: boolean;
}

/**
 * `deploy --wait`'s progress: the rollout (with what blocks it), then one line per batch with its
 * machines' states, waiting reasons and soak, and under it the machines that are unhealthy or left
 * the rollout (`named`, the first MACHINES_NAMED of each batch in NAMED_STATES), with their reasons.
 */
export function progressLines(
  rollout: Rollout,
  named: ReadonlyMap<number, readonly Schema<"RolloutMachine">[]>,
  { now, live }: ProgressOptions,
): string[] {
  const batches = rollout.batches.map((b) => ({ batch: b, counts: b.state_counts }));
  const statusWidth = Math.max(...batches.map((b) => b.batch.status.length), 0);
  const blocked = rollout.blocked_by.length > 0 ? ` · blocked by ${rollout.blocked_by.join(", ")}` : "";
  const lines = [
    `rollout ${rollout.id}  ${statusText(rollout)}  ${countsLabel(stateCounts(rollout.batches))}${blocked}`,
  ];
  for (const { batch, counts } of batches) {
    const soak = soakProgress(batch, soakSecondsOf(rollout, batch.batch_index), now);
    const soakText = soak
      ? ` · soak ${live ? `${countdown(soak.leftSeconds)} left` : `until ${batch.soak_until}`}`
      : "";
    lines.push(
      `  batch ${batch.batch_index}  ${batch.status.padEnd(statusWidth)}  ${bar(counts)}  ${countsLabel(counts, reasonCounts([batch], "waiting"))}${soakText}`,
    );
    const shown = machineRows((named.get(batch.batch_index) ?? []).slice(0, MACHINES_NAMED));
    for (const m of shown) lines.push(`    ${m.machine}  ${m.state}  ${m.reason}`);
    const more = NAMED_STATES.reduce((n, state) => n + counts[state], 0) - shown.length;
    if (more > 0) lines.push(`    … and ${more} more`);
  }
  return lines;
}

/** The line `deploy --wait` ends with. */
export function outcomeLine(rollout: Parameters<typeof statusText>[0] & { id: string }): string {
  return `rollout ${rollout.id} ${statusText(rollout)}\n`;
}
