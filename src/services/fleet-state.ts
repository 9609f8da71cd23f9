import { desiredGenerations, rolloutMachines, rollouts } from "../db/schema.ts";
import { eq, inArray } from "drizzle-orm";
import type { DbOrTx } from "../db/database.ts";

export interface DesiredGeneration {
  storePath: string;
  cacheUrl: string | null;
}

/** How often (seconds) an agent in an active rollout should poll. */
export const ROLLOUT_POLL_HINT_SECONDS = 5;

/**
 * The in-memory view that answers agent polls without touching the database.
 * Writers update it only after their transaction has committed; at start it is
 * rebuilt from the database, so it never holds anything the database does not.
 */
export class FleetState {
  private readonly desired = new Map<string, DesiredGeneration>();
  private readonly inActiveRollout = new Set<string>();

  /** Rebuilds the view from the database (start-up). */
  async load(db: DbOrTx): Promise<void> {
    this.desired.clear();
    this.inActiveRollout.clear();
    const rows = await db.select().from(desiredGenerations);
    for (const row of rows) this.desired.set(row.machineId, { storePath: row.storePath, cacheUrl: row.cacheUrl });
    const members = await db
      .select({ machineId: rolloutMachines.machineId })
      .from(rolloutMachines)
      .innerJoin(rollouts, eq(rollouts.id, rolloutMachines.rolloutId))
      .where(inArray(rollouts.status, ["created", "running", "paused"]));
    for (const row of members) this.inActiveRollout.add(row.machineId);
  }

  /** The agent's `desired-generation` answer, or null when nothing is desired (404). */
  desiredGeneration(machineId: string): { hash: string; cache_url: string | null; poll_hint: number | null } | null {
    const desired = this.desired.get(machineId);
    if (!desired) return null;
    return {
      hash: desired.storePath,
      cache_url: desired.cacheUrl,
      poll_hint: this.inActiveRollout.has(machineId) ? ROLLOUT_POLL_HINT_SECONDS : null,
    };
  }

  getDesired(machineId: string): DesiredGeneration | undefined {
    return this.desired.get(machineId);
  }

  /** Records a committed change of a machine's desired generation (null = cleared). */
  setDesired(machineId: string, desired: DesiredGeneration | null): void {
    if (desired) this.desired.set(machineId, desired);
    else this.desired.delete(machineId);
  }

  /** Records committed rollout membership changes (rollout created / finished / cancelled). */
  setInActiveRollout(machineIds: Iterable<string>, active: boolean): void {
    for (const id of machineIds) {
      if (active) this.inActiveRollout.add(id);
      else this.inActiveRollout.delete(id);
    }
  }

  isInActiveRollout(machineId: string): boolean {
    return this.inActiveRollout.has(machineId);
  }
}
