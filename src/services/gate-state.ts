import type { DbOrTx } from "../db/database.ts";
import { countActiveWithTags, getFreeze, listBudgets, listWindows, type FreezeRow } from "../db/gates.ts";
import { deployingMachines } from "../db/rollouts.ts";
import {
  budgetLimit,
  hasAllTags,
  type BudgetGate,
  type GateSnapshot,
  type MaintenanceWindow,
} from "../domain/gates.ts";
import { parseQuantity } from "../domain/rollout-planning.ts";

/** A budget as stored, with its limit resolved to a count. */
export interface LoadedBudget extends BudgetGate {
  maxUnavailable: string;
  /** Active machines having all its tags when the limit was last resolved. */
  matching: number;
}

/**
 * The gates in force (budgets, windows, freeze) as the rollout executor reads them on every step,
 * and the machines deploying now in any active rollout, which the budgets count. Loaded from the
 * database at start and updated by the executor after each committed change.
 */
export class GateState {
  private budgets: LoadedBudget[] = [];
  private windows: MaintenanceWindow[] = [];
  private freeze: FreezeRow | null = null;
  /** Machines deploying in an active rollout → their tags. */
  private readonly deploying = new Map<string, readonly string[]>();
  private readonly inFlight = new Map<string, number>();

  /** Reloads every gate and the deploying machines from the database. */
  async load(db: DbOrTx): Promise<void> {
    await this.loadGates(db);
    this.deploying.clear();
    for (const { machineId, tags } of await deployingMachines(db)) this.deploying.set(machineId, tags);
    this.recount();
  }

  /** Reloads the budgets, windows and freeze (after one changed); percentages are resolved against the fleet now. */
  async loadGates(db: DbOrTx): Promise<void> {
    const budgets: LoadedBudget[] = [];
    for (const row of await listBudgets(db)) {
      const tags = JSON.parse(row.tags) as string[];
      const quantity = parseQuantity(row.maxUnavailable);
      const matching = quantity.ok && quantity.value.kind === "percent" ? await countActiveWithTags(db, tags) : 0;
      budgets.push({
        name: row.name,
        tags,
        maxUnavailable: row.maxUnavailable,
        matching,
        limit: quantity.ok ? budgetLimit(quantity.value, matching) : 0,
      });
    }
    this.budgets = budgets;
    this.windows = (await listWindows(db)).map((row) => ({
      name: row.name,
      tags: JSON.parse(row.tags) as string[],
      cron: JSON.parse(row.cron) as string[],
      durationMinutes: row.durationMinutes,
      timezone: row.timezone,
    }));
    this.freeze = (await getFreeze(db)) ?? null;
    this.recount();
  }

  /** True when any budget is a percentage of the fleet (its limit follows the fleet's size). */
  get hasPercentBudgets(): boolean {
    return this.budgets.some((b) => b.maxUnavailable.endsWith("%"));
  }

  get hasBudgets(): boolean {
    return this.budgets.length > 0;
  }

  snapshot(): GateSnapshot {
    return { freeze: this.freeze?.reason ?? null, budgets: this.budgets, windows: this.windows };
  }

  /** Machines deploying per budget, across every active rollout. */
  budgetInFlight(): ReadonlyMap<string, number> {
    return this.inFlight;
  }

  /** The budgets with their resolved limits and machines in flight now. */
  budgetList(): readonly LoadedBudget[] {
    return this.budgets;
  }

  /** The freeze row, or null. */
  currentFreeze(): FreezeRow | null {
    return this.freeze;
  }

  /** A committed change: the machine started deploying in an active rollout. */
  started(machineId: string, tags: readonly string[]): void {
    if (this.deploying.has(machineId)) this.stopped(machineId);
    this.deploying.set(machineId, tags);
    for (const b of this.budgets)
      if (hasAllTags(b.tags, tags)) this.inFlight.set(b.name, (this.inFlight.get(b.name) ?? 0) + 1);
  }

  /** A committed change: the machine no longer deploys (decided, left, or its rollout finished). */
  stopped(machineId: string): void {
    const tags = this.deploying.get(machineId);
    if (tags === undefined) return;
    this.deploying.delete(machineId);
    for (const b of this.budgets)
      if (hasAllTags(b.tags, tags)) this.inFlight.set(b.name, (this.inFlight.get(b.name) ?? 1) - 1);
  }

  private recount(): void {
    this.inFlight.clear();
    for (const b of this.budgets) this.inFlight.set(b.name, 0);
    for (const tags of this.deploying.values()) {
      for (const b of this.budgets)
        if (hasAllTags(b.tags, tags)) this.inFlight.set(b.name, this.inFlight.get(b.name)! + 1);
    }
  }
}
