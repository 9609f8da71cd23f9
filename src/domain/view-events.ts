// Which in-memory views an audit event touches (SPEC §18: views follow the database). A process
// re-reads what the events of a page target instead of trusting their payloads: applying a page
// twice, or a page of its own events, changes nothing.

/** The fields of an audit event this looks at. */
export interface ViewEvent {
  id: number;
  action: string;
  target: string;
  rolloutId: string | null;
}

/** What a page of events asks the views to read again. */
export interface ViewChanges {
  /**
   * Machines whose desired generation, lifecycle, last report or rollout membership may have
   * changed, each with the rollouts its events named (those that may hold it now).
   */
  machines: Map<string, Set<string>>;
  /** Rollouts that began or stopped holding their machines: their machines' membership is read again. */
  memberships: Set<string>;
  /** A creation was discarded (its machines are no longer listed anywhere): membership is read again as a whole. */
  allMemberships: boolean;
  /** The newest event of the page that changed a budget, a window or the freeze (null: none did). */
  lastGateEvent: number | null;
  /** Every rollout the page has events of, with the newest such event id. */
  rollouts: Map<string, number>;
}

/** Actions whose target is a machine whose agent answer or fleet summary they may change. */
const MACHINE_ACTIONS = new Set(["register", "update_lifecycle", "notify_deploy", "clear_desired", "report"]);

/** A rollout's own transitions that start or end its hold on its machines. */
const MEMBERSHIP_ACTIONS = new Set([
  "rollout.created",
  "rollout.completed",
  "rollout.failed",
  "rollout.aborted",
  "rollout.cancelled",
]);

const GATE_PREFIXES = ["budget.", "window.", "freeze."];

/** True for an event of a machine's transition inside a rollout (`machine.<state>`, target = the machine). */
function isRolloutMachineEvent(event: ViewEvent): boolean {
  return event.action.startsWith("machine.") && event.rolloutId !== null;
}

/** What the views must read again after `events`. */
export function viewChanges(events: readonly ViewEvent[]): ViewChanges {
  const changes: ViewChanges = {
    machines: new Map(),
    memberships: new Set(),
    allMemberships: false,
    lastGateEvent: null,
    rollouts: new Map(),
  };
  for (const event of events) {
    if (MACHINE_ACTIONS.has(event.action) || isRolloutMachineEvent(event)) {
      const rollouts = changes.machines.get(event.target) ?? new Set<string>();
      if (event.rolloutId !== null) rollouts.add(event.rolloutId);
      changes.machines.set(event.target, rollouts);
    }
    if (MEMBERSHIP_ACTIONS.has(event.action)) changes.memberships.add(event.target);
    if (event.action === "rollout.discarded") changes.allMemberships = true;
    if (GATE_PREFIXES.some((prefix) => event.action.startsWith(prefix))) {
      changes.lastGateEvent = Math.max(changes.lastGateEvent ?? 0, event.id);
    }
    if (event.rolloutId !== null) {
      changes.rollouts.set(event.rolloutId, Math.max(changes.rollouts.get(event.rolloutId) ?? 0, event.id));
    }
  }
  return changes;
}

/** An inclusive range of ids. */
export type IdRange = readonly [number, number];

/**
 * The ids in `(after, upTo]` outside every range of `local` (sorted, not overlapping): the reports
 * other processes stored, when this process knows the id ranges of its own.
 */
export function foreignRanges(after: number, upTo: number, local: readonly IdRange[]): IdRange[] {
  const ranges: IdRange[] = [];
  let next = after + 1;
  for (const [from, to] of local) {
    if (to < next) continue;
    if (from > upTo) break;
    if (from > next) ranges.push([next, from - 1]);
    next = to + 1;
  }
  if (next <= upTo) ranges.push([next, upTo]);
  return ranges;
}
