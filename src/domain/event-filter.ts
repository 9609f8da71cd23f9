/**
 * Which change-feed events a stream or a webhook wants. Absent fields do not filter; the fields
 * present must all match; `actions` matches when any one of its patterns does.
 */
export interface EventFilter {
  /** Events of this rollout (the audit row's `rollout_id`). */
  rolloutId?: string;
  /** Events about this machine (the audit row's `target`). */
  machineId?: string;
  /** Action patterns: an action name (`rollout.paused`), a prefix wildcard (`rollout.*`) or `*`. */
  actions?: readonly string[];
}

/** What `event` needs to be judged by a filter (an audit row has these fields). */
export interface FilterableEvent {
  action: string;
  target: string;
  rolloutId: string | null;
}

/**
 * An action pattern: dot-separated words of letters, digits, `_` or `-`, optionally ending in
 * `.*` (every action under that prefix); `*` alone is every action. No other wildcard exists, so
 * a pattern is also a safe SQLite GLOB.
 */
export const ACTION_PATTERN = /^(\*|[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*(\.\*)?)$/;

/** The sentence explaining `ACTION_PATTERN` in a 400. */
export const ACTION_PATTERN_RULE =
  "must be an action name such as rollout.paused, a prefix wildcard such as rollout.*, or *";

/** True when `action` matches `pattern` (a valid `ACTION_PATTERN`). */
export function actionMatches(pattern: string, action: string): boolean {
  if (pattern === "*") return true;
  if (pattern.endsWith(".*")) return action.startsWith(pattern.slice(0, -1));
  return action === pattern;
}

/** True when `event` passes `filter`. */
export function matchesEvent(filter: EventFilter, event: FilterableEvent): boolean {
  if (filter.rolloutId !== undefined && event.rolloutId !== filter.rolloutId) return false;
  if (filter.machineId !== undefined && event.target !== filter.machineId) return false;
  if (filter.actions !== undefined && filter.actions.length > 0) {
    return filter.actions.some((pattern) => actionMatches(pattern, event.action));
  }
  return true;
}
