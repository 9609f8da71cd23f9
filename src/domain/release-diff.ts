/** What the diff needs of a release entry. */
export interface DiffEntry {
  hostname: string;
  storePath: string;
}

export interface ChangedHost {
  hostname: string;
  oldStorePath: string;
  newStorePath: string;
}

/** How release `b` differs from release `a`, every list sorted by hostname. */
export interface ReleaseDiffResult {
  /** Hostnames only in `b`. */
  added: string[];
  /** Hostnames only in `a`. */
  removed: string[];
  /** Hostnames in both with different store paths. */
  changed: ChangedHost[];
  /** Hostnames in both with the same store path. */
  unchanged: string[];
}

// Code-unit order, not locale order: the same answer on every machine.
const byCodeUnit = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);

/** Classifies every hostname of two releases as added, removed, changed or unchanged going from `a` to `b`. */
export function diffReleases(a: Iterable<DiffEntry>, b: Iterable<DiffEntry>): ReleaseDiffResult {
  const before = new Map<string, string>();
  for (const entry of a) before.set(entry.hostname, entry.storePath);
  const result: ReleaseDiffResult = { added: [], removed: [], changed: [], unchanged: [] };
  const seen = new Set<string>();
  for (const { hostname, storePath } of b) {
    seen.add(hostname);
    const old = before.get(hostname);
    if (old === undefined) result.added.push(hostname);
    else if (old === storePath) result.unchanged.push(hostname);
    else result.changed.push({ hostname, oldStorePath: old, newStorePath: storePath });
  }
  for (const hostname of before.keys()) if (!seen.has(hostname)) result.removed.push(hostname);
  result.added.sort(byCodeUnit);
  result.removed.sort(byCodeUnit);
  result.unchanged.sort(byCodeUnit);
  result.changed.sort((x, y) => byCodeUnit(x.hostname, y.hostname));
  return result;
}
