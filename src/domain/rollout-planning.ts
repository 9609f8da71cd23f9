// Rollout planning: which machines a rollout targets and how they are cut into batches.
// Pure functions; the random source is injected so plans are reproducible in tests.

export const STRATEGIES = ["canary", "staged", "all_at_once"] as const;
export type Strategy = (typeof STRATEGIES)[number];

export const ON_FAILURE_ACTIONS = ["pause", "revert"] as const;
export type OnFailure = (typeof ON_FAILURE_ACTIONS)[number];

/** The batch sizes each strategy uses; `staged` uses the request's sizes, these when absent. */
export const STRATEGY_BATCH_SIZES: Record<Strategy, readonly string[]> = {
  canary: ["1", "100%"],
  all_at_once: ["100%"],
  staged: ["100%"],
};

/** A count (`"3"`) or a percentage (`"25%"`, `"12.5%"`) of a whole. */
export type Quantity = { kind: "count"; count: number } | { kind: "percent"; numerator: number; denominator: number };

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const COUNT_PATTERN = /^\d{1,9}$/;
const PERCENT_PATTERN = /^(\d{1,3})(?:\.(\d{1,6}))?%$/;

/**
 * Parses `"N"` (a non-negative integer) or `"p%"` (p from 0 to 100, decimals allowed).
 * Percentages are kept as an exact fraction so `ceil` never suffers from float rounding.
 */
export function parseQuantity(text: string): Parsed<Quantity> {
  if (COUNT_PATTERN.test(text)) return { ok: true, value: { kind: "count", count: Number(text) } };
  const match = PERCENT_PATTERN.exec(text);
  if (match) {
    const decimals = match[2] ?? "";
    const denominator = 100 * 10 ** decimals.length;
    const numerator = Number(match[1]! + decimals);
    if (numerator > denominator) return { ok: false, error: `"${text}" is more than 100%` };
    return { ok: true, value: { kind: "percent", numerator, denominator } };
  }
  return { ok: false, error: `"${text}" is not a count like "5" or a percentage like "25%"` };
}

/** How many of `whole` a quantity means: the count itself, or ceil(whole × p%). */
export function quantityOf(quantity: Quantity, whole: number): number {
  if (quantity.kind === "count") return quantity.count;
  return Math.ceil((whole * quantity.numerator) / quantity.denominator);
}

/** Validates every batch size; the error names the offending position. */
export function parseBatchSizes(sizes: readonly string[]): Parsed<Quantity[]> {
  if (sizes.length === 0) return { ok: false, error: "batch_sizes must not be empty" };
  const parsed: Quantity[] = [];
  for (const [index, size] of sizes.entries()) {
    const result = parseQuantity(size);
    if (!result.ok) return { ok: false, error: `batch_sizes[${index}]: ${result.error}` };
    parsed.push(result.value);
  }
  return { ok: true, value: parsed };
}

/** The failure threshold: `"N"` unhealthy machines, or `"p%"` of the batch (0–100). */
export function parseFailureThreshold(text: string): Parsed<Quantity> {
  const result = parseQuantity(text);
  return result.ok ? result : { ok: false, error: `failure_threshold: ${result.error}` };
}

/** How many unhealthy machines a batch of `batchSize` tolerates. */
export function allowedFailures(threshold: Quantity, batchSize: number): number {
  return quantityOf(threshold, batchSize);
}

/** The sizes a strategy plans with: fixed for canary and all-at-once, the given ones (or 100%) for staged. */
export function effectiveBatchSizes(strategy: Strategy, requested: readonly string[] | undefined): readonly string[] {
  if (strategy === "staged" && requested !== undefined) return requested;
  return STRATEGY_BATCH_SIZES[strategy];
}

/**
 * Cuts the (already shuffled) machines into batches: each size in turn takes `N` or
 * ceil(remaining × p%) of the remaining machines, at least 1; the last size takes all the
 * rest; batches left empty are dropped.
 */
export function planBatches<T>(machines: readonly T[], sizes: readonly Quantity[]): T[][] {
  const batches: T[][] = [];
  let next = 0;
  for (const [index, size] of sizes.entries()) {
    const remaining = machines.length - next;
    if (remaining === 0) break;
    const isLast = index === sizes.length - 1;
    const take = isLast ? remaining : Math.min(remaining, Math.max(1, quantityOf(size, remaining)));
    batches.push(machines.slice(next, next + take));
    next += take;
  }
  return batches;
}

/** A random number in [0, 1), like `Math.random`. */
export type RandomSource = () => number;

/** Fisher–Yates shuffle into a new array, drawing from `random`. */
export function shuffle<T>(items: readonly T[], random: RandomSource = Math.random): T[] {
  const result = items.slice();
  for (let i = result.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [result[i], result[j]] = [result[j]!, result[i]!];
  }
  return result;
}

/** The request's target: machines having all the tags, or the named hosts. */
export type Target = { tags: readonly string[] } | { hosts: readonly string[] };

/** What target resolution needs to know of a registered machine. */
export interface CandidateMachine {
  machineId: string;
  lifecycle: string;
  tags: readonly string[];
}

export type TargetResolution = { ok: true; machineIds: string[] } | { ok: false; error: string };

/**
 * The machines a rollout deploys to. Tags: active machines having every tag. Hosts: the named
 * machines, skipping registered ones that are not active (unregistered names are kept, an
 * agent may report later). Then only hostnames the release has an entry for. The result keeps
 * the order of `machines` (tags) or of the request (hosts), without duplicates.
 */
export function resolveTargets(
  target: Target,
  machines: Iterable<CandidateMachine>,
  releaseHostnames: ReadonlySet<string>,
): TargetResolution {
  const matched: string[] = [];
  if ("tags" in target) {
    for (const machine of machines) {
      if (machine.lifecycle !== "active") continue;
      const tags = new Set(machine.tags);
      if (target.tags.every((tag) => tags.has(tag))) matched.push(machine.machineId);
    }
  } else {
    const lifecycles = new Map<string, string>();
    for (const machine of machines) lifecycles.set(machine.machineId, machine.lifecycle);
    for (const host of new Set(target.hosts)) {
      const lifecycle = lifecycles.get(host);
      if (lifecycle === undefined || lifecycle === "active") matched.push(host);
    }
  }
  if (matched.length === 0) return { ok: false, error: "no active machine matches the target" };
  const inRelease = matched.filter((id) => releaseHostnames.has(id));
  if (inRelease.length === 0) return { ok: false, error: "none of the targeted machines is in the release" };
  return { ok: true, machineIds: inRelease };
}
