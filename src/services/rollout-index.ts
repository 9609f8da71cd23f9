import type { DbOrTx } from "../db/database.ts";
import { readEntry, type Indexed } from "./rollout-loading.ts";

/**
 * The leader's index of active rollouts and of what waits for a step: the machines of each loaded
 * batch (so a report touches only its batch), the reports, rollouts to step and change-feed events
 * not yet looked at. Only the executor's queue changes it.
 */
export class RolloutIndex {
  readonly rollouts = new Map<string, Indexed>();
  readonly machineRollout = new Map<string, string>();
  readonly reported = new Set<string>();
  readonly toStep = new Set<string>();
  /** Rollouts the change feed showed events of, with the newest id: read again unless that is known. */
  readonly followedRollouts = new Map<string, number>();

  /** Whether reports, rollouts to step or change-feed events wait. */
  get hasWork(): boolean {
    return this.toStep.size > 0 || this.reported.size > 0 || this.followedRollouts.size > 0;
  }

  /** Indexes a rollout, to be stepped. */
  add(entry: Indexed): void {
    this.rollouts.set(entry.state.id, entry);
    this.toStep.add(entry.state.id);
  }

  /** Every indexed rollout is looked at again (the gates changed). */
  stepAll(): void {
    for (const id of this.rollouts.keys()) this.toStep.add(id);
  }

  /** The change feed showed events of the rollout up to `last`. */
  follow(rolloutId: string, last: number): void {
    this.followedRollouts.set(rolloutId, Math.max(this.followedRollouts.get(rolloutId) ?? 0, last));
  }

  /** Whether a rollout's wake-up time has come. */
  anyAwake(now: number): boolean {
    for (const entry of this.rollouts.values()) {
      if (entry.wakeAt !== null && entry.wakeAt <= now) return true;
    }
    return false;
  }

  /** The rollouts to step now, each with its machines that reported; the reports and rollouts to step are taken. */
  takeWork(now: number): Map<string, string[]> {
    const work = new Map<string, string[]>();
    for (const machineId of this.reported) {
      const id = this.machineRollout.get(machineId);
      if (id) work.set(id, [...(work.get(id) ?? []), machineId]);
    }
    this.reported.clear();
    for (const [id, entry] of this.rollouts) {
      if ((entry.wakeAt !== null && entry.wakeAt <= now) || entry.toJudge.size > 0) work.set(id, work.get(id) ?? []);
    }
    for (const id of this.toStep) work.set(id, work.get(id) ?? []);
    this.toStep.clear();
    return work;
  }

  /**
   * Reads again the rollouts with events newer than the state held, which another process wrote
   * (a verb, a creation, a supersede), except those this process is `creating`. True when it read one.
   */
  async readFollowed(db: DbOrTx, creating: ReadonlySet<string>): Promise<boolean> {
    let reloaded = false;
    for (const [id, last] of [...this.followedRollouts]) {
      this.followedRollouts.delete(id);
      const entry = this.rollouts.get(id);
      if (entry && last <= entry.version) continue;
      // Events of a rollout not indexed here: one being created or already finished (nothing to do
      // unless it runs now), or one this process has not heard of yet.
      if (!entry && creating.has(id)) continue;
      await this.reload(db, id);
      reloaded = true;
    }
    return reloaded;
  }

  /** Reads one rollout again: indexed (to be stepped) when it is running, forgotten when it no longer is. */
  async reload(db: DbOrTx, rolloutId: string): Promise<void> {
    const read = await readEntry(db, rolloutId);
    const old = this.rollouts.get(rolloutId);
    if (old) this.unindex(old);
    const status = read?.state.status;
    if (!read || (status !== "scheduled" && status !== "running" && status !== "paused")) return;
    this.rollouts.set(rolloutId, read);
    this.toStep.add(rolloutId);
  }

  private unindex(entry: Indexed): void {
    const id = entry.state.id;
    if (this.rollouts.get(id) === entry) this.rollouts.delete(id);
    for (const machineId of entry.machines.keys()) {
      if (this.machineRollout.get(machineId) === id) this.machineRollout.delete(machineId);
    }
  }

  clear(): void {
    this.rollouts.clear();
    this.machineRollout.clear();
    this.toStep.clear();
    this.reported.clear();
    this.followedRollouts.clear();
  }
}
