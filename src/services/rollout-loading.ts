import type { DbOrTx } from "../db/database.ts";
import {
  batchMachinesPage,
  batchesOf,
  changedCounts,
  findRollout,
  releaseCacheUrl,
  rolloutMachine,
  rolloutOptions,
  rolloutState,
  rolloutsWithStatus,
  type RolloutRow,
} from "../db/rollouts.ts";
import { rolloutVersion, rolloutVersions } from "../db/audit.ts";
import {
  currentBatchIndex,
  isActive,
  loadedBatch,
  type MachineState,
  type RolloutState,
} from "../domain/rollout-machine.ts";

/** Machines read per query when a batch is loaded, reports judged per step. */
export const PAGE = 2000;

export const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** An active rollout as the executor indexes it. */
export interface Indexed {
  state: RolloutState;
  /**
   * The rollout's newest audit event id when this state was read or last written (`rolloutVersion`):
   * every write checks it in its transaction, so a state another process changed meanwhile is
   * read again instead of being written over.
   */
  version: number;
  /** The loaded batch's machines (the map `state.loaded.machines` is). */
  machines: Map<string, MachineState>;
  tags: Map<string, readonly string[]>;
  cacheUrl: string | null;
  /** Machines of a freshly loaded batch to judge on their stored reports (they may have reported unseen). */
  toJudge: Set<string>;
  wakeAt: number | null;
  blockedBy: readonly string[];
  /** The next batch, read ahead while this one runs, so it starts without a read when this one succeeds. */
  next: BatchRead | null;
}

/** A batch's machines (in position order) and their tags, as read from the database. */
interface BatchRead {
  index: number;
  machines: MachineState[];
  tags: Map<string, readonly string[]>;
}

/** The rollout changed in the database since its in-memory state was read: read it again. */
export class StaleRolloutError extends Error {
  override name = "StaleRolloutError";
  constructor(readonly rolloutId: string) {
    super(`rollout ${rolloutId} changed meanwhile`);
  }
}

/** A rollout's entry read from the database (its version first, so a later change shows), or null. */
export async function readEntry(db: DbOrTx, rolloutId: string): Promise<Indexed | null> {
  const version = await rolloutVersion(db, rolloutId);
  const row = await findRollout(db, rolloutId);
  if (!row) return null;
  const changed = isActive(row.status) ? ((await changedCounts(db, [rolloutId])).get(rolloutId) ?? 0) : 0;
  return indexedEntry(db, row, await batchesOf(db, [rolloutId]), changed, version);
}

/** A rollout's entry from its row and batches as read, no batch loaded yet. */
export async function indexedEntry(
  db: DbOrTx,
  row: RolloutRow,
  batches: Parameters<typeof rolloutState>[1],
  changed: number,
  version: number,
): Promise<Indexed> {
  const release = await releaseCacheUrl(db, row.releaseId);
  return {
    state: { ...rolloutState(row, batches, changed), options: rolloutOptions(row, batches.length) },
    version,
    machines: new Map(),
    tags: new Map(),
    cacheUrl: row.cacheUrl ?? release?.cacheUrl ?? null,
    toJudge: new Set(),
    wakeAt: null,
    blockedBy: [],
    next: null,
  };
}

/**
 * Every scheduled, running or paused rollout's entry, read from the database one by one. Each
 * rollout's version is read before its state, so a change made meanwhile shows at its first write.
 */
export async function* readActive(db: DbOrTx): AsyncGenerator<Indexed> {
  const running = ["scheduled", "running", "paused"] as const;
  const versions = await rolloutVersions(
    db,
    (await rolloutsWithStatus(db, running)).map((r) => r.id),
  );
  const active = await rolloutsWithStatus(db, running);
  const ids = active.map((r) => r.id);
  const batches = await batchesOf(db, ids);
  const changed = await changedCounts(db, ids);
  for (const row of active) {
    const own = batches.filter((b) => b.rolloutId === row.id);
    yield await indexedEntry(db, row, own, changed.get(row.id) ?? 0, versions.get(row.id) ?? 0);
  }
}

/** One machine of a rollout as stored, or undefined when it is not in the rollout. */
export async function storedMachine(
  db: DbOrTx,
  rolloutId: string,
  machineId: string,
): Promise<MachineState | undefined> {
  const row = await rolloutMachine(db, rolloutId, machineId);
  if (!row) return undefined;
  return {
    id: row.machineId,
    batch: row.batchIndex,
    position: row.position,
    state: row.state,
    reason: row.reason,
    storePath: row.storePath,
    deployStartedAt: row.deployStartedAt,
  };
}

/**
 * Loads the rollout's current batch when it is not the loaded one (page by page, the event loop
 * free in between). `rollouts` and `machineRollout` are the leader's index, kept in step.
 */
export async function ensureLoaded(
  db: DbOrTx,
  entry: Indexed,
  rollouts: ReadonlyMap<string, Indexed>,
  machineRollout: Map<string, string>,
): Promise<void> {
  const index = currentBatchIndex(entry.state);
  if (index === null || entry.state.loaded?.index === index || !isActive(entry.state.status)) return;
  const { id, options } = entry.state;
  // Only an indexed rollout hears of its machines' reports (a verb's own read does not).
  const indexed = rollouts.get(id) === entry;
  if (indexed) {
    for (const machineId of entry.machines.keys()) {
      if (machineRollout.get(machineId) === id) machineRollout.delete(machineId);
    }
  }
  const read = entry.next?.index === index ? entry.next : await readBatch(db, entry, index);
  entry.next = null;
  entry.tags = read.tags;
  entry.toJudge.clear();
  for (const machine of read.machines) {
    if (indexed) machineRollout.set(machine.id, id);
    if (machine.state === "deploying" || machine.state === "healthy") entry.toJudge.add(machine.id);
  }
  const loaded = loadedBatch(index, read.machines, options.healthTimeoutMs);
  entry.machines = loaded.machines as Map<string, MachineState>;
  entry.state = { ...entry.state, loaded };
}

/** Reads a batch's machines page by page, with the event loop free in between. */
async function readBatch(db: DbOrTx, entry: Indexed, index: number): Promise<BatchRead> {
  const { id, options } = entry.state;
  const read: BatchRead = { index, machines: [], tags: new Map() };
  for (let after = -1; ;) {
    const page = await batchMachinesPage(db, { id, releaseId: options.releaseId }, index, after, PAGE);
    for (const { machine, tags } of page) {
      read.machines.push(machine);
      read.tags.set(machine.id, tags);
    }
    if (page.length < PAGE) return read;
    after = page.at(-1)!.machine.position;
    await yieldToEventLoop();
  }
}

/** Reads the batch after the loaded one ahead of time, once the loaded one has started (see `Indexed.next`). */
export async function readAhead(db: DbOrTx, entry: Indexed, rollouts: ReadonlyMap<string, Indexed>): Promise<void> {
  const loaded = entry.state.loaded;
  if (!loaded || rollouts.get(entry.state.id) !== entry) return;
  const following = loaded.index + 1;
  if (following >= entry.state.batches.length || entry.next?.index === following) return;
  // Only while the loaded batch runs: a paused or pending one may wait a long time.
  const status = entry.state.batches[loaded.index]!.status;
  if (entry.state.status !== "running" || (status !== "waiting_health" && status !== "soaking")) return;
  entry.next = await readBatch(db, entry, following);
}
