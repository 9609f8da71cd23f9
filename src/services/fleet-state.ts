import { rolloutMachines, rollouts } from "../db/schema.ts";
import { and, eq, inArray, notInArray } from "drizzle-orm";
import type { DbOrTx } from "../db/database.ts";
import { allDesiredGenerations, machineSummaries } from "../db/machines.ts";
import { LIFECYCLES, type Lifecycle } from "../domain/lifecycle.ts";

export interface DesiredGeneration {
  storePath: string;
  cacheUrl: string | null;
}

/** How often (seconds) an agent in an active rollout should poll. */
export const ROLLOUT_POLL_HINT_SECONDS = 5;

/** What the fleet metrics need of one machine. */
export interface MachineSummary {
  lifecycle: Lifecycle;
  /** When the last report was received (ms), null before any. */
  lastReportAt: number | null;
}

/**
 * The in-memory view that answers agent polls (and metric scrapes) without touching the
 * database. Writers update it only after their transaction has committed; at start it is
 * rebuilt from the database, so it never holds anything the database does not.
 */
export class FleetState {
  private readonly desired = new Map<string, DesiredGeneration>();
  private readonly inActiveRollout = new Set<string>();
  private readonly machines = new Map<string, MachineSummary>();
  private readonly lifecycleCounts = emptyLifecycleCounts();

  /** Rebuilds the view from the database (start-up). */
  async load(db: DbOrTx): Promise<void> {
    this.desired.clear();
    this.inActiveRollout.clear();
    this.machines.clear();
    Object.assign(this.lifecycleCounts, emptyLifecycleCounts());
    for (const [machineId, lifecycle, lastReportAt] of await machineSummaries(db)) {
      this.recordMachine(machineId, lifecycle, lastReportAt);
    }
    for (const [machineId, storePath, cacheUrl] of await allDesiredGenerations(db)) {
      this.desired.set(machineId, { storePath, cacheUrl });
    }
    const members = await db
      .select({ machineId: rolloutMachines.machineId })
      .from(rolloutMachines)
      .innerJoin(rollouts, eq(rollouts.id, rolloutMachines.rolloutId))
      .where(
        and(
          inArray(rollouts.status, ["created", "scheduled", "running", "paused"]),
          notInArray(rolloutMachines.state, ["skipped", "superseded"]),
        ),
      );
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

  /** Records a committed machine change (registration, lifecycle, report). `lastReportAt` undefined keeps the known one. */
  recordMachine(machineId: string, lifecycle: Lifecycle, lastReportAt?: number | null): void {
    const known = this.machines.get(machineId);
    this.lifecycleCounts[lifecycle] += 1;
    if (!known) {
      this.machines.set(machineId, { lifecycle, lastReportAt: lastReportAt ?? null });
      return;
    }
    // Updated in place: a new object per report would be garbage the collector has to chase
    // through an old generation holding the whole fleet.
    this.lifecycleCounts[known.lifecycle] -= 1;
    known.lifecycle = lifecycle;
    if (lastReportAt !== undefined) known.lastReportAt = lastReportAt;
  }

  /** The machine's lifecycle and last report time, or undefined when it is not registered. */
  machine(machineId: string): MachineSummary | undefined {
    return this.machines.get(machineId);
  }

  /** Number of registered machines, whatever their lifecycle. */
  get fleetSize(): number {
    return this.machines.size;
  }

  /** Registered machines per lifecycle state (every state present, zero included). */
  countByLifecycle(): Readonly<Record<Lifecycle, number>> {
    return this.lifecycleCounts;
  }

  /** Every registered machine with its summary. */
  summaries(): IterableIterator<[string, MachineSummary]> {
    return this.machines.entries();
  }
}

function emptyLifecycleCounts(): Record<Lifecycle, number> {
  return Object.fromEntries(LIFECYCLES.map((l) => [l, 0])) as Record<Lifecycle, number>;
}
