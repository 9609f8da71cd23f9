import type { RolloutEvents } from "../context.ts";
import { latestAuditId, recordAudit, rolloutVersion, rolloutVersions } from "../db/audit.ts";
import { databaseNow, liveNodes } from "../db/cluster.ts";
import type { DbOrTx, Store, Tx } from "../db/database.ts";
import { releaseExists } from "../db/releases.ts";
import {
  batchMachinesPage,
  batchesOf,
  changedCounts,
  deleteRollout,
  findRollout,
  insertRolloutHeader,
  insertRolloutMachines,
  machinesInActiveRollouts,
  memberIdsPage,
  newRolloutId,
  persistTransition,
  releaseCacheUrl,
  releaseEntriesFor,
  REVERT_CHUNK,
  reportTimesSince,
  revertChunk,
  rolloutMachine,
  rolloutOptions,
  rolloutState,
  gateEventsSince,
  rolloutsToRevert,
  rolloutsWithStatus,
  targetCandidatesPage,
  type TargetCandidate,
  type RevertedChunk,
  type RolloutRow,
} from "../db/rollouts.ts";
import {
  EXECUTOR_ACTOR,
  canDelete,
  changesNothing,
  createRollout,
  currentBatchIndex,
  dueMachines,
  isActive,
  loadedBatch,
  next,
  wantsReports,
  type MachineState,
  type RolloutEvent,
  type RolloutState,
  type StepContext,
  type Transition,
} from "../domain/rollout-machine.ts";
import {
  planBatches,
  resolveTargets,
  shuffle,
  type OnFailure,
  type Quantity,
  type RandomSource,
  type Strategy,
  type Target,
} from "../domain/rollout-planning.ts";
import { LeaseLostError } from "../domain/lease.ts";
import type { ViewChanges } from "../domain/view-events.ts";
import { badRequest, conflict, notFound } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { FleetState } from "./fleet-state.ts";
import { GateState } from "./gate-state.ts";
import type { FollowingExecutor } from "./view-follower.ts";

export { EXECUTOR_ACTOR };

/** How often the executor looks for deadlines that passed and rollouts to advance. */
export const TICK_INTERVAL_MS = 250;
/**
 * Machine changes per executor transaction at most: a batch of 100 000 starts in steps of this
 * many. A step costs ~40-60 µs per machine (its state, desired generation, previous generation and
 * audit row), so 500 keep each under ~25 ms of event loop, and the first machines of a batch are
 * served within one such step of the batch's start.
 */
export const MAX_CHANGES_PER_STEP = 500;
/** Machines a rollout's creation writes per transaction. */
export const CREATE_CHUNK = 2000;
/** Machines a finished rollout releases (indexes, gates' counts, agents' view) per turn of the event loop. */
export const RELEASE_CHUNK = 2000;
/** Machines read per query when a batch is loaded, reports judged per step. */
const PAGE = 2000;
/** How often percentage budgets are resolved against the fleet again. */
const BUDGET_REFRESH_MS = 60_000;
/** How often the leader looks for creations whose process died and reverts nobody finished (monotonic ms). */
export const HOUSEKEEPING_INTERVAL_MS = 10_000;
/** Attempts of a verb whose rollout another process changed between its read and its write. */
const VERB_ATTEMPTS = 3;

export interface RolloutExecutorDeps {
  /** Plain writes: what the API asks (creations, verbs, gate changes), which any process may apply. */
  store: Store;
  /**
   * Writes of autonomous steps (ticks, judging, batch starts, timeouts, reverts, recovery): checked
   * against the executor lease in their own transaction, so a process that lost it writes nothing.
   */
  fencedWrite: Store["write"];
  /** This process's `--node-id`: creations record it, so the leader can tell a dead creator's. */
  nodeId: string;
  logger: Logger;
  now: () => number;
  fleet: FleetState;
}

/** How a step writes: a verb in a plain transaction, an autonomous step fenced by the lease. */
type WriteMode = "verb" | "autonomous";

/** A validated rollout request. */
export interface CreateRolloutInput {
  releaseId: string;
  strategy: Strategy;
  /** The sizes to plan with (already resolved for the strategy) and their parsed form. */
  batchSizes: { text: readonly string[]; parsed: readonly Quantity[] };
  failureThreshold: string;
  onFailure: OnFailure;
  healthTimeoutSeconds: number;
  cacheUrl: string | null;
  target: Target;
  actor: string;
  soakSeconds?: number;
  batchSoakSeconds?: readonly number[] | null;
  minDecided?: number | null;
  maxInFlight?: string | null;
  notBefore?: number | null;
  offlineAfterSeconds?: number | null;
  supersede?: boolean;
}

/** What creating a rollout planned. */
export interface PlannedRollout {
  rolloutId: string;
  batches: string[][];
}

/** A verb of SPEC §14.1 sent to the executor. */
export type VerbEvent = Exclude<RolloutEvent, { kind: "tick" | "supersede" | "skip" }>;

/** An active rollout as the executor indexes it. */
interface Indexed {
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

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The rollout changed in the database since its in-memory state was read: read it again. */
class StaleRolloutError extends Error {
  override name = "StaleRolloutError";
  constructor(readonly rolloutId: string) {
    super(`rollout ${rolloutId} changed meanwhile`);
  }
}

/**
 * Runs rollouts (SPEC §7, §14). The rules are the pure state machine of
 * `src/domain/rollout-machine.ts`; this service loads each active rollout's state, applies every
 * transition in one transaction with its audit rows and rollout events, and indexes what each
 * rollout waits for: the machines of its current batch (so a report touches only its batch) and
 * one wake-up time (so a tick compares one number per rollout). All work — its own steps, the
 * API's creations, verbs and gate changes — runs one at a time on one queue. State lives in the
 * database; the index is rebuilt from it when this process starts to lead.
 *
 * Several processes (SPEC §18): only the process holding the executor lease indexes rollouts and
 * runs autonomous steps, each fenced by the lease. The API's verbs and creations work on every
 * process as plain transactions: a process that does not lead reads the rollout, applies the
 * verb's own transition (starting no machine: that is the leader's), and the leader hears of it
 * from the change feed and reads that rollout again. Every write checks in its transaction that
 * the rollout's newest event is still the one its state was read at, so no transition is ever
 * decided on a state another process has changed.
 */
export class RolloutExecutor implements RolloutEvents, FollowingExecutor {
  readonly gates = new GateState();
  /** Machines newly held back, by gate reason, since start (`nixfleet_gate_blocks_total`). */
  readonly gateBlocks = new Map<string, number>();
  private readonly rollouts = new Map<string, Indexed>();
  private readonly machineRollout = new Map<string, string>();
  private readonly reported = new Set<string>();
  private readonly toStep = new Set<string>();
  /** Rollouts the change feed showed events of, with the newest id: read again unless that is known. */
  private readonly followedRollouts = new Map<string, number>();
  /** Creations this process is writing now (never discarded as abandoned). */
  private readonly creating = new Set<string>();
  /** Rollouts this process is giving their machines' previous generations back now. */
  private readonly reverting = new Set<string>();
  private queue: Promise<unknown> = Promise.resolve();
  private drainQueued = false;
  private rebuildNeeded = false;
  private gatesChanged = false;
  /** Every gate change up to this event id is in `gates` (this process's own, loaded after its commit). */
  private gatesKnownUpTo = 0;
  private leading = false;
  private timer: ReturnType<typeof setInterval> | null = null;
  private budgetsRefreshedAt = 0;
  private housekeptAt = -Infinity;
  private readonly random: RandomSource;

  constructor(
    private readonly deps: RolloutExecutorDeps,
    options: { random?: RandomSource } = {},
  ) {
    this.random = options.random ?? Math.random;
  }

  /** True while this process runs the rollouts (it holds the executor lease). */
  get isLeading(): boolean {
    return this.leading;
  }

  /**
   * This process now leads: the index is rebuilt from the database (under the lease: creations
   * whose process died are discarded, unfinished reverts are finished) and autonomous steps run
   * from now on. Resolves once that is done.
   */
  async lead(): Promise<void> {
    if (this.leading) return;
    this.leading = true;
    this.rebuildNeeded = true;
    // Waits for the rebuild only: under steady reports the queue is seldom empty, and a stop
    // (which runs after this in the leadership's hooks) must not wait for a quiet moment.
    await this.exclusive(async () => {
      if (!this.leading || !this.rebuildNeeded) return;
      this.rebuildNeeded = false;
      try {
        await this.load();
      } catch (error) {
        this.stepFailed(null, error);
      }
    });
    this.scheduleDrain();
  }

  /** Leads (see `lead`) and starts the periodic tick. */
  async start(): Promise<void> {
    await this.lead();
    this.timer ??= setInterval(() => this.onTick(), TICK_INTERVAL_MS);
  }

  /**
   * Stops leading: no tick, no autonomous step; waits for the work in progress and forgets the
   * index (verbs still work, as on any process). `lead` or `start` may follow again.
   */
  async stop(): Promise<void> {
    this.leading = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.exclusive(async () => this.clearIndex());
    await this.idle();
  }

  /** A report has committed (here or, through the reports tail, elsewhere): its rollout looks at it if it may change something. */
  machineReported(machineId: string): void {
    if (!this.leading || !this.machineRollout.has(machineId)) return;
    this.reported.add(machineId);
    this.scheduleDrain();
  }

  /** A page of the change feed touched these rollouts and gates: the leader reads again what it did not write itself. */
  followed(changes: ViewChanges): void {
    if (!this.leading) return;
    const gates = changes.lastGateEvent !== null && changes.lastGateEvent > this.gatesKnownUpTo;
    if (gates) this.gatesChanged = true;
    for (const [id, last] of changes.rollouts) {
      this.followedRollouts.set(id, Math.max(this.followedRollouts.get(id) ?? 0, last));
    }
    if (gates || changes.rollouts.size > 0) this.scheduleDrain();
  }

  /** Runs one tick now (deadlines, rollouts to advance) and resolves when the executor is idle. */
  async tick(): Promise<void> {
    this.scheduleDrain();
    await this.idle();
  }

  /** Resolves once no work is queued. */
  async idle(): Promise<void> {
    do await this.queue;
    while (this.drainQueued);
  }

  /**
   * The gates as they are now, with the machines deploying under each budget: the leader's own
   * view, or read from the database on a process that does not lead.
   */
  async currentGates(): Promise<GateState> {
    if (!this.leading) await this.exclusive(() => this.gates.load(this.deps.store.db));
    return this.gates;
  }

  /** The gates holding an active rollout now, as its last step saw them (empty when none or finished). */
  blockedBy(rolloutId: string): readonly string[] {
    return this.rollouts.get(rolloutId)?.blockedBy ?? [];
  }

  /**
   * Plans and records a rollout, then starts it (on this process when it leads, else the leader
   * does once it hears of it). Over CREATE_CHUNK machines the machines are written in several
   * transactions with the event loop free in between; the rollout stays `created` (holding what it
   * has written) until the last one, which makes it running (or scheduled) and writes
   * `rollout.created`. Each transaction checks, with what it writes, that no other active rollout
   * holds its machines (another process may be creating one at the same time): without `supersede`
   * that is a 409, and what the creation wrote is removed.
   */
  create(input: CreateRolloutInput): Promise<PlannedRollout> {
    return this.exclusive(async () => {
      const { db } = this.deps.store;
      if (!(await releaseExists(db, input.releaseId))) throw notFound(`release ${input.releaseId} not found`);
      const { candidates, inRelease } = await this.candidates(input.target, input.releaseId);
      const tags = "tags" in input.target ? input.target.tags : [];
      const resolution = resolveTargets(
        input.target,
        candidates.map((m) => ({ ...m, tags })),
        inRelease,
      );
      if (!resolution.ok) throw badRequest(resolution.error);
      const batches = planBatches(shuffle(resolution.machineIds, this.random), input.batchSizes.parsed);
      const rolloutId = newRolloutId();
      const now = this.deps.now();
      const row = rolloutRow(rolloutId, input, batches.length, now, this.deps.nodeId);
      const created = createRollout(
        {
          id: rolloutId,
          options: rolloutOptions(row, batches.length),
          batchCount: batches.length,
          actor: input.actor,
          detail: {
            release_id: input.releaseId,
            strategy: input.strategy,
            total_machines: resolution.machineIds.length,
            batch_sizes: batches.map((b) => b.length),
          },
        },
        now,
      );
      const members = batches.flatMap((ids, batch) => ids.map((id, position) => [id, batch, position] as const));
      this.creating.add(rolloutId);
      try {
        await this.deps.store.write((tx) => insertRolloutHeader(tx, row, batches.length));
        try {
          for (let offset = 0; offset < members.length; offset += CREATE_CHUNK) {
            await this.insertMembers(rolloutId, members.slice(offset, offset + CREATE_CHUNK), input);
            await yieldToEventLoop();
          }
          const before: RolloutState = { ...created.state, status: "created" };
          const cacheUrl = input.cacheUrl ?? (await releaseCacheUrl(db, input.releaseId))?.cacheUrl ?? null;
          const version = await this.deps.store.write(async (tx) => {
            await assertStillCreating(tx, rolloutId);
            await persistTransition(tx, before, created, now, cacheUrl);
            return rolloutVersion(tx, rolloutId);
          });
          if (this.leading) {
            // A percentage budget is of the machines having its tags now: machines registered or
            // tagged since it was last resolved would otherwise wait up to BUDGET_REFRESH_MS.
            if (this.gates.hasPercentBudgets) {
              await this.gates.loadGates(db);
              this.budgetsRefreshedAt = this.deps.now();
            }
            this.rollouts.set(rolloutId, {
              state: created.state,
              version,
              machines: new Map(),
              tags: new Map(),
              cacheUrl,
              toJudge: new Set(),
              wakeAt: created.wakeAt,
              blockedBy: created.blockedBy,
              next: null,
            });
            this.toStep.add(rolloutId);
          }
        } catch (error) {
          // Nobody was told of it: what was written goes (machines it superseded stay superseded there).
          await this.deps.store.write((tx) => deleteRollout(tx, rolloutId)).catch(() => undefined);
          throw error;
        }
      } finally {
        this.creating.delete(rolloutId);
      }
      this.countBlocks(created);
      this.deps.fleet.setInActiveRollout(resolution.machineIds, rolloutId);
      this.scheduleDrain();
      return { rolloutId, batches };
    });
  }

  /** A verb of SPEC §14.1 (or v0.1's resume and cancel); 404 unknown rollout, 409 with the state's reason. */
  verb(rolloutId: string, event: VerbEvent): Promise<void> {
    return this.exclusive(() => this.applyVerb(rolloutId, async () => event));
  }

  /** Skips one undecided machine of a rollout (it leaves the rollout, keeping what it runs). */
  skip(rolloutId: string, machineId: string, actor: string, reason: string | null): Promise<void> {
    return this.exclusive(() =>
      this.applyVerb(rolloutId, async (entry) => {
        const machine = entry.machines.get(machineId) ?? (await this.storedMachine(rolloutId, machineId));
        if (!machine) throw notFound(`machine ${machineId} is not in rollout ${rolloutId}`);
        return { kind: "skip", actor, machine, reason };
      }),
    );
  }

  /** Deletes a finished rollout with its batches, machines and events. */
  remove(rolloutId: string, actor: string): Promise<void> {
    return this.exclusive(async () => {
      await this.deps.store.write(async (tx) => {
        const rollout = await findRollout(tx, rolloutId);
        if (!rollout) throw notFound(`rollout ${rolloutId} not found`);
        if (!canDelete(rollout.status) || rollout.revertPending) {
          throw conflict(`rollout ${rolloutId} is ${rollout.status}; cancel it before deleting`);
        }
        await deleteRollout(tx, rolloutId);
        await recordAudit(tx, this.deps.now(), {
          actor,
          action: "rollout.deleted",
          target: rolloutId,
          rolloutId,
          detail: { release_id: rollout.releaseId, status: rollout.status },
        });
      });
    });
  }

  /**
   * Changes a gate: `write` makes the change and its audit row in one transaction; then every
   * active rollout is looked at again with the new gates.
   */
  changeGates<T>(write: (tx: Tx, now: number) => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      const { result, lastEvent } = await this.deps.store.write(async (tx) => ({
        result: await write(tx, this.deps.now()),
        lastEvent: await latestAuditId(tx),
      }));
      // The gates are read after this commit: the feed's page with this change need not read them again.
      this.gatesKnownUpTo = Math.max(this.gatesKnownUpTo, lastEvent);
      await this.gates.loadGates(this.deps.store.db);
      this.budgetsRefreshedAt = this.deps.now();
      for (const id of this.rollouts.keys()) this.toStep.add(id);
      this.scheduleDrain();
      return result;
    });
  }

  /**
   * Applies a verb in a plain transaction, on the leader's indexed state or on one read now; a
   * rollout another process changed between the read and the write is read again and the verb
   * asked again. On the leader the rollout then carries on at once.
   */
  private async applyVerb(rolloutId: string, eventOf: (entry: Indexed) => Promise<RolloutEvent>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const entry = await this.entry(rolloutId);
      try {
        const t = await this.step(entry, await eventOf(entry), [], "verb");
        return await this.carryOn(entry, t);
      } catch (error) {
        if (!(error instanceof StaleRolloutError)) throw error;
        if (attempt === VERB_ATTEMPTS) throw conflict(`rollout ${rolloutId} kept changing; try again`);
        if (this.rollouts.get(rolloutId) === entry) await this.reload(rolloutId);
      }
    }
  }

  /**
   * After a verb, the leader takes the rollout as far as it goes now. The verb has committed
   * whatever happens here: a lost lease, a change elsewhere or a database fault only leave the
   * rest to the next tick (or to the next leader).
   */
  private async carryOn(entry: Indexed, t: Transition): Promise<void> {
    if (!this.leading || this.rollouts.get(entry.state.id) !== entry) return;
    try {
      await this.continueSteps(entry, t);
    } catch (error) {
      this.stepFailed(entry.state.id, error);
    }
  }

  /** The rollout's indexed entry when this process leads, else (or when it is not indexed) one read now; 404 when unknown. */
  private async entry(rolloutId: string): Promise<Indexed> {
    const indexed = this.leading ? this.rollouts.get(rolloutId) : undefined;
    if (indexed) return indexed;
    const read = await this.readEntry(this.deps.store.db, rolloutId);
    if (!read) throw notFound(`rollout ${rolloutId} not found`);
    return read;
  }

  /** A rollout's entry read from the database (its version first, so a later change shows), or null. */
  private async readEntry(db: DbOrTx, rolloutId: string): Promise<Indexed | null> {
    const version = await rolloutVersion(db, rolloutId);
    const row = await findRollout(db, rolloutId);
    if (!row) return null;
    const changed = isActive(row.status) ? ((await changedCounts(db, [rolloutId])).get(rolloutId) ?? 0) : 0;
    return this.indexed(db, row, await batchesOf(db, [rolloutId]), changed, version);
  }

  private async indexed(
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

  private async storedMachine(
    rolloutId: string,
    machineId: string,
    db: DbOrTx = this.deps.store.db,
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

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private scheduleDrain(): void {
    if (this.drainQueued || !this.leading) return;
    this.drainQueued = true;
    void this.exclusive(async () => {
      this.drainQueued = false;
      try {
        await this.drain();
      } catch (error) {
        this.stepFailed(null, error);
      }
    });
  }

  /**
   * An autonomous step failed. A lost lease is expected (another process leads now): this one
   * stands down until it leads again. A rollout changed elsewhere is read again. Anything else:
   * the database is the truth, so the index is rebuilt from it on the next tick.
   */
  private stepFailed(rolloutId: string | null, error: unknown): void {
    if (error instanceof LeaseLostError) {
      if (!this.leading) return;
      this.leading = false;
      this.deps.logger.info("rollout executor stands down: this process no longer leads", {
        node_id: this.deps.nodeId,
      });
      return;
    }
    if (error instanceof StaleRolloutError) {
      this.followedRollouts.set(error.rolloutId, Infinity);
      this.scheduleDrain();
      return;
    }
    this.rebuildNeeded = true;
    this.deps.logger.error("rollout executor step failed", {
      ...(rolloutId === null ? {} : { rollout_id: rolloutId }),
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
  }

  private onTick(): void {
    if (this.rebuildNeeded || this.toStep.size > 0 || this.reported.size > 0 || this.followedRollouts.size > 0) {
      return this.scheduleDrain();
    }
    if (performance.now() - this.housekeptAt >= HOUSEKEEPING_INTERVAL_MS) return this.scheduleDrain();
    const now = this.deps.now();
    if (this.gates.hasPercentBudgets && now - this.budgetsRefreshedAt >= BUDGET_REFRESH_MS) return this.scheduleDrain();
    for (const entry of this.rollouts.values()) {
      if (entry.wakeAt !== null && entry.wakeAt <= now) return this.scheduleDrain();
    }
  }

  private async drain(): Promise<void> {
    if (!this.leading) return;
    const { db } = this.deps.store;
    if (this.rebuildNeeded) {
      this.rebuildNeeded = false;
      await this.load();
    }
    await this.followChanges();
    if (performance.now() - this.housekeptAt >= HOUSEKEEPING_INTERVAL_MS) await this.housekeep();
    if (this.gates.hasPercentBudgets && this.deps.now() - this.budgetsRefreshedAt >= BUDGET_REFRESH_MS) {
      await this.gates.loadGates(db);
      this.budgetsRefreshedAt = this.deps.now();
      for (const id of this.rollouts.keys()) this.toStep.add(id);
    }
    // Bounded: whatever is still due after this many rounds waits for the next tick.
    for (let round = 0; round < 50; round++) {
      const work = new Map<string, string[]>();
      for (const machineId of this.reported) {
        const id = this.machineRollout.get(machineId);
        if (id) work.set(id, [...(work.get(id) ?? []), machineId]);
      }
      this.reported.clear();
      const now = this.deps.now();
      for (const [id, entry] of this.rollouts) {
        if ((entry.wakeAt !== null && entry.wakeAt <= now) || entry.toJudge.size > 0) work.set(id, work.get(id) ?? []);
      }
      for (const id of this.toStep) work.set(id, work.get(id) ?? []);
      this.toStep.clear();
      if (work.size === 0) return;
      for (const [id, machineIds] of work) {
        const entry = this.rollouts.get(id);
        if (!entry) continue;
        try {
          const t = await this.step(entry, { kind: "tick" }, machineIds, "autonomous");
          await this.continueSteps(entry, t);
        } catch (error) {
          if (!(error instanceof StaleRolloutError)) throw error;
          await this.reload(id);
          await this.gates.load(db);
        }
        await yieldToEventLoop();
      }
    }
  }

  /**
   * Rebuilds the index from the database (this process starts to lead, or an unexpected failure
   * asked for it): creations whose process died are discarded, unfinished reverts are finished,
   * and every running rollout is looked at again. Each rollout's version is read before its state,
   * so a change made meanwhile shows at its first write.
   */
  private async load(): Promise<void> {
    const { db } = this.deps.store;
    this.clearIndex();
    await this.housekeep();
    await this.gates.load(db);
    this.budgetsRefreshedAt = this.deps.now();
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
      this.rollouts.set(row.id, await this.indexed(db, row, own, changed.get(row.id) ?? 0, versions.get(row.id) ?? 0));
      this.toStep.add(row.id);
    }
  }

  /**
   * What the change feed showed: gates changed (read again, every rollout looked at again) and
   * rollouts with events newer than the state held, which another process wrote (a verb, a
   * creation, a supersede): those are read again. Budgets then count again from the database.
   */
  private async followChanges(): Promise<void> {
    const { db } = this.deps.store;
    if (this.gatesChanged) {
      this.gatesChanged = false;
      await this.gates.loadGates(db);
      this.budgetsRefreshedAt = this.deps.now();
      for (const id of this.rollouts.keys()) this.toStep.add(id);
    }
    if (this.followedRollouts.size === 0) return;
    let reloaded = false;
    for (const [id, last] of [...this.followedRollouts]) {
      this.followedRollouts.delete(id);
      const entry = this.rollouts.get(id);
      if (entry && last <= entry.version) continue;
      // Events of a rollout not indexed here: one being created or already finished (nothing to do
      // unless it runs now), or one this process has not heard of yet.
      if (!entry && this.creating.has(id)) continue;
      await this.reload(id);
      reloaded = true;
    }
    if (reloaded) await this.gates.load(db);
  }

  /** Reads one rollout again: indexed (to be stepped) when it is running, forgotten when it no longer is. */
  private async reload(rolloutId: string): Promise<void> {
    const read = await this.readEntry(this.deps.store.db, rolloutId);
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

  private clearIndex(): void {
    this.rollouts.clear();
    this.machineRollout.clear();
    this.toStep.clear();
    this.reported.clear();
    this.followedRollouts.clear();
    this.gatesChanged = false;
  }

  /**
   * The leader's periodic look for what a process that died left: creations it never finished
   * (discarded) and reverts nobody is finishing (finished).
   */
  private async housekeep(): Promise<void> {
    this.housekeptAt = performance.now();
    await this.discardAbandonedCreations();
    for (const id of await rolloutsToRevert(this.deps.store.db)) {
      if (!this.reverting.has(id)) await this.revertAll(id, [-1, -1], "autonomous");
    }
  }

  /** After a step: as many ticks as it asks for (more work, a batch to load), then the next batch read ahead. */
  private async continueSteps(entry: Indexed, first: Transition): Promise<void> {
    let t = first;
    while (this.rollouts.get(entry.state.id) === entry && (t.more || t.loadBatch !== null || entry.toJudge.size > 0)) {
      await yieldToEventLoop();
      t = await this.step(entry, { kind: "tick" }, [], "autonomous");
    }
    await this.readAhead(entry);
  }

  /**
   * One transition: in one transaction, check that the rollout is still as its state was read,
   * read what the event needs (the reports of the machines it judges, this millisecond's report
   * times), ask the state machine, write its transition; then, once committed, update the index,
   * the agents' view and the gates' counts. A verb writes in a plain transaction; an autonomous
   * step through the lease's fenced write.
   */
  private async step(
    entry: Indexed,
    event: RolloutEvent,
    reported: readonly string[],
    mode: WriteMode,
  ): Promise<Transition> {
    await this.ensureLoaded(entry);
    // A tick with nothing to judge often changes nothing (a gate changed elsewhere, a stale wake-up):
    // asked first without a transaction, it costs no write when that is so.
    if (event.kind === "tick" && !this.hasReportsToJudge(entry, reported)) {
      const now = this.deps.now();
      const dry = next(entry.state, event, this.context(entry, now, new Map()));
      if (!("refused" in dry) && changesNothing(entry.state, dry)) {
        await this.applied(entry, dry, null, mode);
        return dry;
      }
    }
    const id = entry.state.id;
    const { t, reverted, version } = await this.writer(mode)(async (tx) => {
      if ((await rolloutVersion(tx, id)) !== entry.version) throw new StaleRolloutError(id);
      const now = this.deps.now();
      const input = event.kind === "tick" ? await this.tickEvent(tx, entry, now, reported) : event;
      const recent = await reportTimesSince(tx, now);
      const result = next(entry.state, input, this.context(entry, now, recent));
      if ("refused" in result) throw conflict(result.refused);
      const reverted = await persistTransition(tx, entry.state, result, now, entry.cacheUrl);
      return { t: result, reverted, version: await rolloutVersion(tx, id) };
    });
    entry.version = version;
    await this.applied(entry, t, reverted, mode);
    return t;
  }

  private writer(mode: WriteMode): Store["write"] {
    return mode === "verb" ? (fn) => this.deps.store.write(fn) : this.deps.fencedWrite;
  }

  private hasReportsToJudge(entry: Indexed, reported: readonly string[]): boolean {
    if (dueMachines(entry.state, this.deps.now(), 1).length > 0) return true;
    if (reported.some((id) => wantsReports(entry.state, id))) return true;
    for (const id of entry.toJudge) {
      if (wantsReports(entry.state, id)) return true;
      entry.toJudge.delete(id);
    }
    return false;
  }

  /** A tick with the reports of the machines to judge: those that reported, those due, those never judged. */
  private async tickEvent(tx: Tx, entry: Indexed, now: number, reported: readonly string[]): Promise<RolloutEvent> {
    const ids = new Set(dueMachines(entry.state, now, PAGE));
    for (const id of reported) if (wantsReports(entry.state, id)) ids.add(id);
    for (const id of entry.toJudge) {
      if (ids.size >= PAGE) break;
      entry.toJudge.delete(id);
      if (wantsReports(entry.state, id)) ids.add(id);
    }
    if (ids.size === 0) return { kind: "tick" };
    const machines = [...ids].map((id) => entry.machines.get(id)!);
    const since = Math.min(...machines.map((m) => m.deployStartedAt ?? now));
    return { kind: "tick", reports: await gateEventsSince(tx, [...ids], since) };
  }

  private context(entry: Indexed, now: number, recent: ReadonlyMap<string, number>): StepContext {
    return {
      now,
      gates: this.gates.snapshot(),
      budgetInFlight: this.gates.budgetInFlight(),
      facts: (id) => {
        const known = this.deps.fleet.machine(id)?.lastReportAt ?? null;
        const latest = recent.get(id);
        return {
          lastReportAt: latest !== undefined && (known === null || latest > known) ? latest : known,
          tags: entry.tags.get(id) ?? [],
        };
      },
      // A process that does not lead applies a verb's own transition and starts no machine: what
      // the gates let start, and when, is decided by the leader alone.
      maxChanges: this.leading ? MAX_CHANGES_PER_STEP : 0,
    };
  }

  /** After a transition committed: the index, the agents' view, the budgets' counts, the rollouts it frees. */
  private async applied(entry: Indexed, t: Transition, reverted: RevertedChunk | null, mode: WriteMode): Promise<void> {
    const loaded = t.state.loaded;
    let freed = false;
    for (const { before, after } of t.changes) {
      if (loaded && after.batch === loaded.index) entry.machines.set(after.id, after);
      else if (entry.next?.index === after.batch) entry.next = null;
      if (before.state === "deploying" && after.state !== "deploying") {
        this.gates.stopped(after.id);
        freed = true;
      }
      if (after.state === "deploying" && before.state !== "deploying") {
        this.gates.started(after.id, entry.tags.get(after.id) ?? []);
      }
    }
    entry.state = loaded ? { ...t.state, loaded: { ...loaded, machines: entry.machines } } : t.state;
    entry.wakeAt = t.wakeAt;
    entry.blockedBy = t.blockedBy;
    for (const d of t.desire)
      this.deps.fleet.setDesired(d.machineId, { storePath: d.storePath, cacheUrl: entry.cacheUrl });
    if (t.released.length > 0) this.deps.fleet.setInActiveRollout(t.released, null);
    this.countBlocks(t);
    if (freed && this.gates.hasBudgets) {
      for (const [id, other] of this.rollouts) {
        if (other !== entry && other.blockedBy.some((g) => g.startsWith("budget:"))) this.toStep.add(id);
      }
    }
    if (t.releaseAll) await this.finished(entry);
    if (reverted) {
      this.restored(reverted);
      if (!reverted.done) await this.revertAll(entry.state.id, reverted.after, mode);
    }
  }

  private restored(chunk: RevertedChunk): void {
    for (const r of chunk.reverted) {
      const desired = r.storePath === null ? null : { storePath: r.storePath, cacheUrl: r.cacheUrl };
      this.deps.fleet.setDesired(r.machineId, desired);
    }
  }

  private countBlocks(t: Transition): void {
    for (const [gate, n] of t.gateBlocks) this.gateBlocks.set(gate, (this.gateBlocks.get(gate) ?? 0) + n);
  }

  /**
   * The rollout finished: it no longer holds its machines. Released RELEASE_CHUNK machines per turn
   * of the event loop: all 99 500 of a fleet-wide rollout at once held it for ~120 ms.
   */
  private async finished(entry: Indexed): Promise<void> {
    const id = entry.state.id;
    if (this.rollouts.get(id) === entry) this.rollouts.delete(id);
    const loaded = [...entry.machines.keys()];
    for (let i = 0; i < loaded.length; i += RELEASE_CHUNK) {
      if (i > 0) await yieldToEventLoop();
      for (const machineId of loaded.slice(i, i + RELEASE_CHUNK)) {
        if (this.machineRollout.get(machineId) === id) this.machineRollout.delete(machineId);
        this.gates.stopped(machineId);
      }
    }
    for (let after = ""; ;) {
      const page = await memberIdsPage(this.deps.store.db, id, after, RELEASE_CHUNK);
      this.deps.fleet.releasedBy(page, id);
      if (page.length < RELEASE_CHUNK) return;
      after = page.at(-1)!;
      await yieldToEventLoop();
    }
  }

  /**
   * Gives every machine the rollout changed its previous generation back, REVERT_CHUNK machines per
   * transaction: the rest of a verb's revert in plain transactions, the leader's in fenced ones.
   * Two processes reverting one rollout at once (the leader finishing a revert it thinks abandoned)
   * give each machine its generation back once: a chunk reverts only machines not reverted yet.
   */
  private async revertAll(rolloutId: string, from: readonly [number, number], mode: WriteMode): Promise<void> {
    this.reverting.add(rolloutId);
    try {
      for (let after = from; ;) {
        await yieldToEventLoop();
        const chunk = await this.writer(mode)((tx) =>
          revertChunk(tx, rolloutId, REVERT_CHUNK, this.deps.now(), EXECUTOR_ACTOR, after),
        );
        this.restored(chunk);
        if (chunk.done) return;
        after = chunk.after;
      }
    } finally {
      this.reverting.delete(rolloutId);
    }
  }

  /** Loads the rollout's current batch when it is not the loaded one (page by page, the event loop free in between). */
  private async ensureLoaded(entry: Indexed): Promise<void> {
    const index = currentBatchIndex(entry.state);
    if (index === null || entry.state.loaded?.index === index || !isActive(entry.state.status)) return;
    const { id, options } = entry.state;
    // Only an indexed rollout hears of its machines' reports (a verb's own read does not).
    const indexed = this.rollouts.get(id) === entry;
    if (indexed) {
      for (const machineId of entry.machines.keys()) {
        if (this.machineRollout.get(machineId) === id) this.machineRollout.delete(machineId);
      }
    }
    const read = entry.next?.index === index ? entry.next : await this.readBatch(entry, index);
    entry.next = null;
    entry.tags = read.tags;
    entry.toJudge.clear();
    for (const machine of read.machines) {
      if (indexed) this.machineRollout.set(machine.id, id);
      if (machine.state === "deploying" || machine.state === "healthy") entry.toJudge.add(machine.id);
    }
    const loaded = loadedBatch(index, read.machines, options.healthTimeoutMs);
    entry.machines = loaded.machines as Map<string, MachineState>;
    entry.state = { ...entry.state, loaded };
  }

  /** Reads a batch's machines page by page, with the event loop free in between. */
  private async readBatch(entry: Indexed, index: number): Promise<BatchRead> {
    const { id, options } = entry.state;
    const read: BatchRead = { index, machines: [], tags: new Map() };
    for (let after = -1; ;) {
      const page = await batchMachinesPage(
        this.deps.store.db,
        { id, releaseId: options.releaseId },
        index,
        after,
        PAGE,
      );
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
  private async readAhead(entry: Indexed): Promise<void> {
    const loaded = entry.state.loaded;
    if (!loaded || this.rollouts.get(entry.state.id) !== entry) return;
    const following = loaded.index + 1;
    if (following >= entry.state.batches.length || entry.next?.index === following) return;
    // Only while the loaded batch runs: a paused or pending one may wait a long time.
    const status = entry.state.batches[loaded.index]!.status;
    if (entry.state.status !== "running" || (status !== "waiting_health" && status !== "soaking")) return;
    entry.next = await this.readBatch(entry, following);
  }

  /**
   * The registered machines the target could mean and which of them (or of the named hosts) the
   * release has entries for, read PAGE at a time with the event loop free in between.
   */
  private async candidates(
    target: Target,
    releaseId: string,
  ): Promise<{ candidates: TargetCandidate[]; inRelease: Set<string> }> {
    const { db } = this.deps.store;
    const candidates: TargetCandidate[] = [];
    for (let after: string | null = ""; after !== null;) {
      const page = await targetCandidatesPage(db, target, after, PAGE);
      candidates.push(...page.candidates);
      after = page.next;
      await yieldToEventLoop();
    }
    const named = "hosts" in target ? [...new Set(target.hosts)] : candidates.map((m) => m.machineId);
    const inRelease = new Set<string>();
    for (let offset = 0; offset < named.length; offset += PAGE) {
      for (const hostname of await releaseEntriesFor(db, releaseId, named.slice(offset, offset + PAGE))) {
        inRelease.add(hostname);
      }
      await yieldToEventLoop();
    }
    return { candidates, inRelease };
  }

  /**
   * Writes machines of a new rollout. In the same transaction it checks that the rollout is still
   * being created and which of the machines another active rollout holds: with `supersede` those
   * leave it there (the holder's transition, on the leader's state of it when that is current,
   * else on one read in this transaction), without it the creation is refused (409).
   */
  private async insertMembers(
    rolloutId: string,
    chunk: readonly (readonly [string, number, number])[],
    input: CreateRolloutInput,
  ): Promise<void> {
    const ids = chunk.map(([machineId]) => machineId);
    const superseded: { entry: Indexed; t: Transition; version: number }[] = [];
    await this.deps.store.write(async (tx) => {
      await assertStillCreating(tx, rolloutId);
      const busy = (await machinesInActiveRollouts(tx, ids)).filter((b) => b.rolloutId !== rolloutId);
      if (!input.supersede) refuseBusy(busy);
      await insertRolloutMachines(tx, rolloutId, chunk);
      const byRollout = new Map<string, string[]>();
      for (const { machineId, rolloutId: holder } of busy)
        byRollout.set(holder, [...(byRollout.get(holder) ?? []), machineId]);
      const now = this.deps.now();
      for (const [holder, machineIds] of byRollout) {
        const indexed = this.leading ? this.rollouts.get(holder) : undefined;
        const current = indexed !== undefined && (await rolloutVersion(tx, holder)) === indexed.version;
        const entry = current ? indexed : await this.readEntry(tx, holder);
        if (!entry) continue;
        const machines: MachineState[] = [];
        for (const machineId of machineIds) {
          const machine = entry.machines.get(machineId) ?? (await this.storedMachine(holder, machineId, tx));
          if (machine) machines.push(machine);
        }
        const recent = await reportTimesSince(tx, now);
        const event: RolloutEvent = { kind: "supersede", actor: input.actor, by: rolloutId, machines };
        const t = next(entry.state, event, this.context(entry, now, recent));
        if ("refused" in t) continue;
        await persistTransition(tx, entry.state, t, now, entry.cacheUrl);
        if (current) superseded.push({ entry: indexed, t, version: await rolloutVersion(tx, holder) });
        else if (this.leading) this.followedRollouts.set(holder, Infinity);
      }
    });
    for (const { entry, t, version } of superseded) {
      entry.version = version;
      await this.applied(entry, t, null, "verb");
      this.toStep.add(entry.state.id);
    }
  }

  /**
   * Creations nobody will finish are discarded (no client was told of them): those `created` by a
   * process that is no longer listed in the cluster (it died mid-creation), and this process's own
   * from before a restart (a `--node-id` is reused). Under the lease: only the leader does this.
   */
  private async discardAbandonedCreations(): Promise<void> {
    const { db } = this.deps.store;
    const created = await rolloutsWithStatus(db, ["created"]);
    if (created.length === 0) return;
    const live = new Set((await liveNodes(db, await databaseNow(db))).map((node) => node.nodeId));
    let discarded = false;
    for (const row of created) {
      if (this.creating.has(row.id)) continue;
      const creator = row.createdOn;
      if (creator !== null && creator !== this.deps.nodeId && live.has(creator)) continue;
      await this.deps.fencedWrite(async (tx) => {
        if ((await findRollout(tx, row.id))?.status !== "created") return;
        await deleteRollout(tx, row.id);
        await recordAudit(tx, this.deps.now(), {
          actor: EXECUTOR_ACTOR,
          action: "rollout.discarded",
          target: row.id,
          rolloutId: row.id,
          detail: {
            release_id: row.releaseId,
            reason:
              creator === null || creator === this.deps.nodeId
                ? "its creation was interrupted by a restart"
                : `its creation was interrupted: process ${creator} stopped`,
          },
        });
        discarded = true;
      });
    }
    // The agents' view may have its machines as held (it was read while they were).
    if (discarded) await this.deps.fleet.refreshMembership(db);
  }
}

/** Refuses a creation whose machines another active rollout holds (409 naming the first). */
function refuseBusy(busy: readonly { machineId: string; rolloutId: string }[]): void {
  if (busy.length === 0) return;
  const [first] = busy;
  const more = busy.length > 1 ? ` (and ${busy.length - 1} more)` : "";
  throw conflict(`machine ${first!.machineId} is already in active rollout ${first!.rolloutId}${more}`);
}

/** A creation's transaction goes on only while its rollout is still `created` (nobody discarded it). */
async function assertStillCreating(tx: DbOrTx, rolloutId: string): Promise<void> {
  if ((await findRollout(tx, rolloutId))?.status !== "created") {
    throw conflict(`the creation of rollout ${rolloutId} was interrupted; create it again`);
  }
}

/** The row of a new rollout (status `created` until its machines are written by process `nodeId`). */
function rolloutRow(
  id: string,
  input: CreateRolloutInput,
  batchCount: number,
  now: number,
  nodeId: string,
): RolloutRow {
  return {
    id,
    releaseId: input.releaseId,
    strategy: input.strategy,
    status: "created",
    onFailure: input.onFailure,
    failureThreshold: input.failureThreshold,
    healthTimeout: input.healthTimeoutSeconds,
    cacheUrl: input.cacheUrl,
    target: JSON.stringify(input.target),
    batchSizes: JSON.stringify(input.batchSizes.text),
    createdAt: now,
    updatedAt: now,
    createdBy: input.actor,
    soakSeconds: input.soakSeconds ?? 0,
    batchSoakSeconds: input.batchSoakSeconds ? JSON.stringify(input.batchSoakSeconds.slice(0, batchCount)) : null,
    minDecided: input.minDecided ?? null,
    maxInFlight: input.maxInFlight ?? null,
    notBefore: input.notBefore ?? null,
    offlineAfterSeconds: input.offlineAfterSeconds ?? null,
    supersede: input.supersede ?? false,
    pauseReason: null,
    revertPending: false,
    createdOn: nodeId,
  };
}
