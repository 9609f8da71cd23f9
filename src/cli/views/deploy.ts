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
import { machinesIn, statusText } from "./rollouts.ts";

type Rollout = Schema<"Rollout">;

const BAR_WIDTH = 20;
/** Unhealthy, skipped and superseded machines named under their batch, at most. */
const MACHINES_NAMED = 5;

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
 * the rollout, with their reasons.
 */
export function progressLines(rollout: Rollout, { now, live }: ProgressOptions): string[] {
  const batches = rollout.batches.map((b) => ({ batch: b, counts: stateCounts([b]) }));
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
    const named = machinesIn({ ...rollout, batches: [batch] }, ["unhealthy", "skipped", "superseded"]);
    for (const m of named.slice(0, MACHINES_NAMED)) lines.push(`    ${m.machine}  ${m.state}  ${m.reason}`);
    if (named.length > MACHINES_NAMED) lines.push(`    … and ${named.length - MACHINES_NAMED} more`);
  }
  return lines;
}

/** The line `deploy --wait` ends with. */
export function outcomeLine(rollout: Rollout): string {
  return `rollout ${rollout.id} ${statusText(rollout)}\n`;
}
