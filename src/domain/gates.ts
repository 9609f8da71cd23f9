// Fleet-wide gates (SPEC §14.3) and the one evaluator that says whether a machine of a rollout
// may start deploying now, and if not, why. Pure: the clock, the gates and the in-flight counts
// come in as data; the only outside code is croner, which reads cron expressions and time zones.
import { Cron } from "croner";
import { quantityOf, type Quantity } from "./rollout-planning.ts";

/** A disruption budget: machines having all `tags` that are deploying, across all rollouts, stay at most `limit`. */
export interface BudgetGate {
  name: string;
  tags: readonly string[];
  /** The budget as a count: `N`, or `p%` of the machines having the tags (see `budgetLimit`). */
  limit: number;
}

/** A maintenance window: machines having all `tags` start deploying only while one of their windows is open. */
export interface MaintenanceWindow {
  name: string;
  tags: readonly string[];
  /** 5-field cron expressions; the window opens at each match. */
  cron: readonly string[];
  durationMinutes: number;
  /** IANA time zone the cron expressions are read in. */
  timezone: string;
}

/** Every gate in force, as the executor sees them at one moment. */
export interface GateSnapshot {
  /** The freeze's reason while frozen, else null. */
  freeze: string | null;
  budgets: readonly BudgetGate[];
  windows: readonly MaintenanceWindow[];
}

export const NO_GATES: GateSnapshot = { freeze: null, budgets: [], windows: [] };

/** A budget's limit as a count: `N`, or ceil(p% of the machines having its tags). */
export function budgetLimit(maxUnavailable: Quantity, matchingMachines: number): number {
  return quantityOf(maxUnavailable, matchingMachines);
}

/** True when `tags` include every tag of `required`. */
export function hasAllTags(required: readonly string[], tags: readonly string[]): boolean {
  return required.every((tag) => tags.includes(tag));
}

// Croner builds lookup tables per pattern: build each (pattern, zone) once.
const crons = new Map<string, Cron>();

function cronFor(expression: string, timezone: string): Cron {
  const key = `${timezone}\n${expression}`;
  let cron = crons.get(key);
  if (!cron) {
    cron = new Cron(expression, { timezone, mode: "5-part", paused: true });
    crons.set(key, cron);
  }
  return cron;
}

/** Why a cron expression is refused, or null when it is a valid 5-field expression that matches some time. */
export function cronProblem(expression: string, timezone: string, now: number): string | null {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5 || fields[0] === "") return `"${expression}" is not a 5-field cron expression`;
  try {
    if (cronFor(expression, timezone).nextRun(new Date(now)) === null) return `"${expression}" never matches`;
  } catch (error) {
    return `"${expression}": ${(error as Error).message.replace(/^CronPattern: /, "")}`;
  }
  return null;
}

/** True for an IANA time zone name this runtime knows (e.g. `Europe/Berlin`, `UTC`). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** Whether a window is open at `at`, and the earliest time that may change (ms; null = never). */
export interface WindowState {
  open: boolean;
  /** Closed: the next opening. Open: the end of the span it is in (a later match may extend it). */
  changesAt: number | null;
}

/**
 * A window is open at `at` when one of its cron expressions matched at some m with
 * m ≤ at < m + duration. Times are read in the window's zone as croner does (like Vixie cron): a
 * match inside a spring-forward gap happens at the first valid minute after it, one in a
 * fall-back overlap happens once, at its first occurrence.
 */
export function windowState(window: MaintenanceWindow, at: number): WindowState {
  const durationMs = window.durationMinutes * 60_000;
  let open = false;
  let closesAt = -Infinity;
  let opensAt = Infinity;
  for (const expression of window.cron) {
    const cron = cronFor(expression, window.timezone);
    // previousRuns takes runs before its reference: one millisecond later includes a match at `at` itself.
    const [last] = cron.previousRuns(1, new Date(at + 1));
    if (last && last.getTime() + durationMs > at) {
      open = true;
      closesAt = Math.max(closesAt, last.getTime() + durationMs);
    }
    const next = cron.nextRun(new Date(at));
    if (next) opensAt = Math.min(opensAt, next.getTime());
  }
  if (open) return { open, changesAt: closesAt };
  return { open, changesAt: opensAt === Infinity ? null : opensAt };
}

/** What the evaluator needs to know about one machine and its rollout. */
export interface GateQuery {
  /** The rollout is paused (by an operator or after a failed batch). */
  paused: boolean;
  /** The rollout's `not_before` (ms), or null. */
  notBefore: number | null;
  /** The machine's tags. */
  tags: readonly string[];
  /** The rollout's machines deploying now (this step's starts included) and its `max_in_flight` as a count. */
  inFlight: number;
  maxInFlight: number;
}

/** A machine may start (reason null) or is held by the gate `reason`; `changesAt` is when a window may change that. */
export interface GateVerdict {
  reason: string | null;
  /** The budgets the machine counts toward once it deploys. */
  budgets: readonly string[];
  changesAt: number | null;
}

/**
 * The one gate evaluator (SPEC §14.3–14.4): every path that could start a machine asks it, and its
 * reason is what a waiting machine shows. It lives for one executor step: it reads window states
 * once per window and keeps the budgets' in-flight counts, to which `started` and `stopped` add
 * the step's own changes, so machines started in the same step count against a shared budget.
 */
export class GateEvaluator {
  private readonly windows = new Map<string, WindowState>();
  private readonly inFlight: Map<string, number>;

  constructor(
    private readonly gates: GateSnapshot,
    private readonly now: number,
    /** Machines deploying per budget name, across every active rollout, before this step. */
    inFlight: ReadonlyMap<string, number>,
  ) {
    this.inFlight = new Map(inFlight);
  }

  /** Whether the machine may start now, and if not the first gate holding it. */
  check(query: GateQuery): GateVerdict {
    const budgets = this.budgetsOf(query.tags);
    if (query.paused) return { reason: "paused", budgets, changesAt: null };
    if (query.notBefore !== null && this.now < query.notBefore) {
      return { reason: "not_before", budgets, changesAt: query.notBefore };
    }
    if (this.gates.freeze !== null) return { reason: "freeze", budgets, changesAt: null };
    const window = this.windowVerdict(query.tags);
    if (window.reason !== null) return { reason: window.reason, budgets, changesAt: window.changesAt };
    for (const name of budgets) {
      const budget = this.gates.budgets.find((b) => b.name === name)!;
      if ((this.inFlight.get(name) ?? 0) >= budget.limit) {
        return { reason: `budget:${name}`, budgets, changesAt: window.changesAt };
      }
    }
    if (query.inFlight >= query.maxInFlight) return { reason: "max_in_flight", budgets, changesAt: window.changesAt };
    return { reason: null, budgets, changesAt: window.changesAt };
  }

  /** Counts a machine that starts deploying in this step against its budgets. */
  started(budgets: readonly string[]): void {
    for (const name of budgets) this.inFlight.set(name, (this.inFlight.get(name) ?? 0) + 1);
  }

  /** A machine of this step stopped deploying (decided, skipped, superseded): its budgets have room again. */
  stopped(tags: readonly string[]): void {
    for (const name of this.budgetsOf(tags)) this.inFlight.set(name, Math.max(0, (this.inFlight.get(name) ?? 0) - 1));
  }

  /** The budgets a machine with `tags` counts toward, by name. */
  budgetsOf(tags: readonly string[]): string[] {
    return this.gates.budgets
      .filter((b) => hasAllTags(b.tags, tags))
      .map((b) => b.name)
      .sort();
  }

  private windowVerdict(tags: readonly string[]): { reason: string | null; changesAt: number | null } {
    let changesAt: number | null = null;
    let closed: { name: string; opensAt: number } | null = null;
    let anyOpen = false;
    let any = false;
    for (const window of this.gates.windows) {
      if (!hasAllTags(window.tags, tags)) continue;
      any = true;
      let state = this.windows.get(window.name);
      if (!state) {
        state = windowState(window, this.now);
        this.windows.set(window.name, state);
      }
      if (state.changesAt !== null)
        changesAt = changesAt === null ? state.changesAt : Math.min(changesAt, state.changesAt);
      if (state.open) anyOpen = true;
      else {
        const opensAt = state.changesAt ?? Infinity;
        if (!closed || opensAt < closed.opensAt || (opensAt === closed.opensAt && window.name < closed.name)) {
          closed = { name: window.name, opensAt };
        }
      }
    }
    if (!any || anyOpen) return { reason: null, changesAt };
    return { reason: `window:${closed!.name}`, changesAt };
  }
}
