// How far a rollout and its batches are, counted from each machine's state and reason (SPEC §14.4):
// what the CLI's progress lines and the dashboard's bars and counts both show, from the same
// fields of `GET /api/v1/rollouts/{id}`.
import { MACHINE_STATES, type MachineStateName } from "./rollout-machine.ts";

export type StateCounts = Record<MachineStateName, number>;

/** The parts of a machine's entry in `machine_states` this module reads. */
export interface MachineStateLike {
  state: MachineStateName;
  reason: string | null;
}

export interface BatchLike {
  status: string;
  machine_states: Record<string, MachineStateLike>;
  soak_until: string | null;
}

/** The order machines are listed in: those that need a look first, the done ones last. */
export const STATE_ORDER: readonly MachineStateName[] = [
  "unhealthy",
  "waiting",
  "deploying",
  "pending",
  "skipped",
  "superseded",
  "healthy",
];

const STATE_RANK = new Map(STATE_ORDER.map((state, i) => [state, i]));

/**
 * Orders machines as they are listed: by `STATE_ORDER`, then by id in code-unit order (not
 * `localeCompare`, which costs ten times as much over a 100 000-machine batch).
 */
export function byStateThenId(a: { id: string; state: MachineStateName }, b: { id: string; state: MachineStateName }) {
  return STATE_RANK.get(a.state)! - STATE_RANK.get(b.state)! || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export function emptyCounts(): StateCounts {
  return Object.fromEntries(MACHINE_STATES.map((state) => [state, 0])) as StateCounts;
}

/** Machines per state over `batches`. */
export function stateCounts(batches: readonly Pick<BatchLike, "machine_states">[]): StateCounts {
  const counts = emptyCounts();
  for (const batch of batches) for (const m of Object.values(batch.machine_states)) counts[m.state] += 1;
  return counts;
}

export function totalOf(counts: StateCounts): number {
  return MACHINE_STATES.reduce((n, state) => n + counts[state], 0);
}

/** How many machines of `batches` in `state` give each reason, most first (then by name). */
export function reasonCounts(
  batches: readonly Pick<BatchLike, "machine_states">[],
  state: MachineStateName,
): [string, number][] {
  const reasons = new Map<string, number>();
  for (const batch of batches) {
    for (const m of Object.values(batch.machine_states)) {
      if (m.state === state && m.reason !== null) reasons.set(m.reason, (reasons.get(m.reason) ?? 0) + 1);
    }
  }
  return [...reasons].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/**
 * `3/12 healthy, 1 unhealthy, 2 deploying, 4 waiting (budget:db), 1 skipped`: healthy out of all,
 * then every other state that has machines, except those not started (the rest of the total).
 * With `reasons`, waiting machines name their gates.
 */
export function countsLabel(counts: StateCounts, reasons: [string, number][] = []): string {
  const parts = [`${counts.healthy}/${totalOf(counts)} healthy`];
  if (counts.unhealthy > 0) parts.push(`${counts.unhealthy} unhealthy`);
  if (counts.deploying > 0) parts.push(`${counts.deploying} deploying`);
  if (counts.waiting > 0) {
    const why = reasons.map(([reason, n]) => (n === counts.waiting ? reason : `${reason} ${n}`)).join(", ");
    parts.push(`${counts.waiting} waiting${why ? ` (${why})` : ""}`);
  }
  if (counts.skipped > 0) parts.push(`${counts.skipped} skipped`);
  if (counts.superseded > 0) parts.push(`${counts.superseded} superseded`);
  return parts.join(", ");
}

/** The batch a rollout works on (its verbs act on it): the first not succeeded; null when all are. */
export function currentBatchOf<B extends { status: string }>(batches: readonly B[]): B | null {
  return batches.find((b) => b.status !== "succeeded") ?? null;
}

/** A batch's soak in seconds: its own entry of `batch_soak_seconds`, else `soak_seconds`. */
export function soakSecondsOf(
  rollout: { soak_seconds: number; batch_soak_seconds: number[] | null },
  batchIndex: number,
): number {
  return rollout.batch_soak_seconds?.[batchIndex] ?? rollout.soak_seconds;
}

/** A soaking batch's soak: seconds left at `now` and the share of it done (0–1); null when not soaking. */
export function soakProgress(
  batch: Pick<BatchLike, "status" | "soak_until">,
  soakSeconds: number,
  now: number,
): { leftSeconds: number; done: number } | null {
  if (batch.status !== "soaking" || batch.soak_until === null) return null;
  const leftSeconds = Math.max(0, Math.ceil((Date.parse(batch.soak_until) - now) / 1000));
  const done = soakSeconds > 0 ? Math.min(1, Math.max(0, 1 - leftSeconds / soakSeconds)) : 1;
  return { leftSeconds, done };
}

/** Seconds as a countdown reads: `45s`, `4m 05s`, `2h 07m`, `3d 04h`. */
export function countdown(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const two = (n: number) => String(n).padStart(2, "0");
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${two(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${two(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86400)}d ${two(Math.floor((s % 86400) / 3600))}h`;
}
