import type { RolloutEvents } from "../context.ts";
import { recordAudit } from "../db/audit.ts";
import type { Store, Tx } from "../db/database.ts";
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
  memberIds,
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
import { badRequest, conflict, notFound } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { FleetState } from "./fleet-state.ts";
import { GateState } from "./gate-state.ts";

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
/** Machines read per query when a batch is loaded, reports judged per step. */
const PAGE = 2000;
/** How often percentage budgets are resolved against the fleet again. */
const BUDGET_REFRESH_MS = 60_000;

export interface RolloutExecutorDeps {
  store: Store;
  logger: Logger;
  now: () => number;
  fleet: FleetState;
}

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

/**
 * Runs rollouts (SPEC §7, §14). The rules are the pure state machine of
 * `src/domain/rollout-machine.ts`; this service loads each active rollout's state, applies every
 * transition in one transaction with its audit rows and rollout events, and indexes what each
 * rollout waits for: the machines of its current batch (so a report touches only its batch) and
 * one wake-up time (so a tick compares one number per rollout). All work — its own steps, the
 * API's creations, verbs and gate changes — runs one at a time on one queue. State lives in the
 * database; the index is rebuilt from it at start.
 */
export class RolloutExecutor implements RolloutEvents {
  readonly gates = new GateState();
  /** Machines newly held back, by gate reason, since start (`nixfleet_gate_blocks_total`). */
  readonly gateBlocks = new Map<string, number>();
  private readonly rollouts = new Map<string, Indexed>();
  private readonly machineRollout = new Map<string, string>();
  private readonly reported = new Set<string>();
  private readonly toStep = new Set<string>();
  private queue: Promise<unknown> = Promise.resolve();
  private drainQueued = false;
  private rebuildNeeded = false;
  private timer: ReturnType<typeof setInterval> | null = null;
  private stopped = false;
  private budgetsRefreshedAt = 0;
  private readonly random: RandomSource;

  constructor(
    private readonly deps: RolloutExecutorDeps,
    options: { random?: RandomSource } = {},
  ) {
    this.random = options.random ?? Math.random;
  }

  /**
   * Rebuilds the index from the database: creations a crash interrupted are discarded, reverts it
   * interrupted are finished, and every active rollout is looked at again.
   */
  async load(): Promise<void> {
    const { db } = this.deps.store;
    this.rollouts.clear();
    this.machineRollout.clear();
    this.toStep.clear();
    await this.discardUnfinishedCreations();
    await this.gates.load(db);
    this.budgetsRefreshedAt = this.deps.now();
    for (const id of await rolloutsToRevert(db)) await this.revertAll(id);
    const active = await rolloutsWithStatus(db, ["scheduled", "running", "paused"]);
    const batches = await batchesOf(
      db,
      active.map((r) => r.id),
    );
    const changed = await changedCounts(
      db,
      active.map((r) => r.id),
    );
    for (const row of active) {
      const own = batches.filter((b) => b.rolloutId === row.id);
      this.rollouts.set(row.id, await this.indexed(row, own, changed.get(row.id) ?? 0));
      this.toStep.add(row.id);
    }
  }

  /** Starts the periodic tick and carries on with whatever was running when the process stopped. */
  start(): void {
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => this.onTick(), TICK_INTERVAL_MS);
    this.scheduleDrain();
  }

  /** Stops the tick and waits for the work in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.idle();
  }

  /** A report has committed: the machine's rollout looks at it if it may change something. */
  machineReported(machineId: string): void {
    if (!this.machineRollout.has(machineId)) return;
    this.reported.add(machineId);
    this.scheduleDrain();
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

  /** The gates holding an active rollout now, as its last step saw them (empty when none or finished). */
  blockedBy(rolloutId: string): readonly string[] {
    return this.rollouts.get(rolloutId)?.blockedBy ?? [];
  }

  /**
   * Plans and records a rollout, then starts it. Over CREATE_CHUNK machines the machines are
   * written in several transactions with the event loop free in between; the rollout stays
   * `created` (holding what it has written) until the last one, which makes it running (or
   * scheduled) and writes `rollout.created`.
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
      const busy = await this.busy(resolution.machineIds);
      if (busy.length > 0 && !input.supersede) {
        const [first] = busy;
        const more = busy.length > 1 ? ` (and ${busy.length - 1} more)` : "";
        throw conflict(`machine ${first!.machineId} is already in active rollout ${first!.rolloutId}${more}`);
      }
      const rolloutId = newRolloutId();
      const now = this.deps.now();
      const row = rolloutRow(rolloutId, input, batches.length, now);
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
      const busyIn = new Map(busy.map((b) => [b.machineId, b.rolloutId]));
      const members = batches.flatMap((ids, batch) => ids.map((id, position) => [id, batch, position] as const));
      await this.deps.store.write((tx) => insertRolloutHeader(tx, row, batches.length));
      for (let offset = 0; offset < members.length; offset += CREATE_CHUNK) {
        const chunk = members.slice(offset, offset + CREATE_CHUNK);
        await this.insertMembers(rolloutId, chunk, busyIn, input.actor);
        await yieldToEventLoop();
      }
      const before: RolloutState = { ...created.state, status: "created" };
      const cacheUrl = input.cacheUrl ?? (await releaseCacheUrl(db, input.releaseId))?.cacheUrl ?? null;
      await this.deps.store.write((tx) => persistTransition(tx, before, created, now, cacheUrl));
      this.rollouts.set(rolloutId, {
        state: created.state,
        machines: new Map(),
        tags: new Map(),
        cacheUrl,
        toJudge: new Set(),
        wakeAt: created.wakeAt,
        blockedBy: created.blockedBy,
        next: null,
      });
      this.countBlocks(created);
      this.deps.fleet.setInActiveRollout(resolution.machineIds, true);
      this.toStep.add(rolloutId);
      this.scheduleDrain();
      return { rolloutId, batches };
    });
  }

  /** A verb of SPEC §14.1 (or v0.1's resume and cancel); 404 unknown rollout, 409 with the state's reason. */
  verb(rolloutId: string, event: VerbEvent): Promise<void> {
    return this.exclusive(async () => {
      const entry = await this.entry(rolloutId);
      await this.stepAndContinue(entry, event);
    });
  }

  /** Skips one undecided machine of a rollout (it leaves the rollout, keeping what it runs). */
  skip(rolloutId: string, machineId: string, actor: string, reason: string | null): Promise<void> {
    return this.exclusive(async () => {
      const entry = await this.entry(rolloutId);
      const machine = entry.machines.get(machineId) ?? (await this.storedMachine(rolloutId, machineId));
      if (!machine) throw notFound(`machine ${machineId} is not in rollout ${rolloutId}`);
      await this.stepAndContinue(entry, { kind: "skip", actor, machine, reason });
    });
  }

  /** Deletes a finished rollout with its batches, machines and events. */
  remove(rolloutId: string, actor: string): Promise<void> {
    return this.exclusive(async () => {
      const rollout = await findRollout(this.deps.store.db, rolloutId);
      if (!rollout) throw notFound(`rollout ${rolloutId} not found`);
      if (!canDelete(rollout.status) || rollout.revertPending) {
        throw conflict(`rollout ${rolloutId} is ${rollout.status}; cancel it before deleting`);
      }
      await this.deps.store.write(async (tx) => {
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
      const result = await this.deps.store.write((tx) => write(tx, this.deps.now()));
      await this.gates.loadGates(this.deps.store.db);
      this.budgetsRefreshedAt = this.deps.now();
      for (const id of this.rollouts.keys()) this.toStep.add(id);
      this.scheduleDrain();
      return result;
    });
  }

  private async entry(rolloutId: string): Promise<Indexed> {
    const indexed = this.rollouts.get(rolloutId);
    if (indexed) return indexed;
    const row = await findRollout(this.deps.store.db, rolloutId);
    if (!row) throw notFound(`rollout ${rolloutId} not found`);
    // A rollout that no longer runs: the state machine refuses every verb with its status.
    return this.indexed(row, await batchesOf(this.deps.store.db, [rolloutId]), 0);
  }

  private async indexed(
    row: RolloutRow,
    batches: Parameters<typeof rolloutState>[1],
    changed: number,
  ): Promise<Indexed> {
    const release = await releaseCacheUrl(this.deps.store.db, row.releaseId);
    return {
      state: { ...rolloutState(row, batches, changed), options: rolloutOptions(row, batches.length) },
      machines: new Map(),
      tags: new Map(),
      cacheUrl: row.cacheUrl ?? release?.cacheUrl ?? null,
      toJudge: new Set(),
      wakeAt: null,
      blockedBy: [],
      next: null,
    };
  }

  private async storedMachine(rolloutId: string, machineId: string): Promise<MachineState | undefined> {
    const row = await rolloutMachine(this.deps.store.db, rolloutId, machineId);
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
    if (this.drainQueued || this.stopped) return;
    this.drainQueued = true;
    void this.exclusive(async () => {
      this.drainQueued = false;
      try {
        await this.drain();
      } catch (error) {
        // The database is the truth: start over from it on the next tick.
        this.rebuildNeeded = true;
        this.deps.logger.error("rollout executor step failed", {
          error: error instanceof Error ? (error.stack ?? error.message) : String(error),
        });
      }
    });
  }

  private onTick(): void {
    if (this.rebuildNeeded || this.toStep.size > 0 || this.reported.size > 0) return this.scheduleDrain();
    const now = this.deps.now();
    if (this.gates.hasPercentBudgets && now - this.budgetsRefreshedAt >= BUDGET_REFRESH_MS) return this.scheduleDrain();
    for (const entry of this.rollouts.values()) {
      if (entry.wakeAt !== null && entry.wakeAt <= now) return this.scheduleDrain();
    }
  }

  private async drain(): Promise<void> {
    if (this.rebuildNeeded) {
      this.rebuildNeeded = false;
      this.reported.clear();
      await this.load();
    }
    if (this.gates.hasPercentBudgets && this.deps.now() - this.budgetsRefreshedAt >= BUDGET_REFRESH_MS) {
      await this.gates.loadGates(this.deps.store.db);
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
        await this.stepAndContinue(entry, { kind: "tick" }, machineIds);
        await yieldToEventLoop();
      }
    }
  }

  /** One step for `event`, then as many ticks as it asks for (more work, a batch to load). */
  private async stepAndContinue(entry: Indexed, event: RolloutEvent, reported: string[] = []): Promise<void> {
    let t = await this.step(entry, event, reported);
    while (this.rollouts.get(entry.state.id) === entry && (t.more || t.loadBatch !== null || entry.toJudge.size > 0)) {
      await yieldToEventLoop();
      t = await this.step(entry, { kind: "tick" }, []);
    }
    await this.readAhead(entry);
  }

  /**
   * One transition: in one transaction, read what the event needs (the reports of the machines it
   * judges, this millisecond's report times), ask the state machine, write its transition; then,
   * once committed, update the index, the agents' view and the gates' counts.
   */
  private async step(entry: Indexed, event: RolloutEvent, reported: readonly string[]): Promise<Transition> {
    await this.ensureLoaded(entry);
    // A tick with nothing to judge often changes nothing (a gate changed elsewhere, a stale wake-up):
    // asked first without a transaction, it costs no write when that is so.
    if (event.kind === "tick" && !this.hasReportsToJudge(entry, reported)) {
      const now = this.deps.now();
      const dry = next(entry.state, event, this.context(entry, now, new Map()));
      if (!("refused" in dry) && changesNothing(entry.state, dry)) {
        await this.applied(entry, dry);
        return dry;
      }
    }
    const { t, reverted } = await this.deps.store.write(async (tx) => {
      const now = this.deps.now();
      const input = event.kind === "tick" ? await this.tickEvent(tx, entry, now, reported) : event;
      const recent = await reportTimesSince(tx, now);
      const result = next(entry.state, input, this.context(entry, now, recent));
      if ("refused" in result) throw conflict(result.refused);
      return { t: result, reverted: await persistTransition(tx, entry.state, result, now, entry.cacheUrl) };
    });
    await this.applied(entry, t, reverted);
    return t;
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
      maxChanges: MAX_CHANGES_PER_STEP,
    };
  }

  /** After a transition committed: the index, the agents' view, the budgets' counts, the rollouts it frees. */
  private async applied(entry: Indexed, t: Transition, reverted: RevertedChunk | null = null): Promise<void> {
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
    if (t.released.length > 0) this.deps.fleet.setInActiveRollout(t.released, false);
    this.countBlocks(t);
    if (freed && this.gates.hasBudgets) {
      for (const [id, other] of this.rollouts) {
        if (other !== entry && other.blockedBy.some((g) => g.startsWith("budget:"))) this.toStep.add(id);
      }
    }
    if (t.releaseAll) await this.finished(entry);
    if (reverted) {
      this.restored(reverted);
      if (!reverted.done) await this.revertAll(entry.state.id, reverted.after);
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

  /** The rollout finished: it no longer holds its machines. */
  private async finished(entry: Indexed): Promise<void> {
    const id = entry.state.id;
    if (this.rollouts.get(id) === entry) this.rollouts.delete(id);
    for (const machineId of entry.machines.keys()) {
      if (this.machineRollout.get(machineId) === id) this.machineRollout.delete(machineId);
      this.gates.stopped(machineId);
    }
    this.deps.fleet.setInActiveRollout(await memberIds(this.deps.store.db, id), false);
  }

  /** Gives every machine the rollout changed its previous generation back, REVERT_CHUNK machines per transaction. */
  private async revertAll(rolloutId: string, from: readonly [number, number] = [-1, -1]): Promise<void> {
    for (let after = from; ;) {
      await yieldToEventLoop();
      const chunk = await this.deps.store.write((tx) =>
        revertChunk(tx, rolloutId, REVERT_CHUNK, this.deps.now(), EXECUTOR_ACTOR, after),
      );
      this.restored(chunk);
      if (chunk.done) return;
      after = chunk.after;
    }
  }

  /** Loads the rollout's current batch when it is not the loaded one (page by page, the event loop free in between). */
  private async ensureLoaded(entry: Indexed): Promise<void> {
    const index = currentBatchIndex(entry.state);
    if (index === null || entry.state.loaded?.index === index || !isActive(entry.state.status)) return;
    const { id, options } = entry.state;
    for (const machineId of entry.machines.keys()) {
      if (this.machineRollout.get(machineId) === id) this.machineRollout.delete(machineId);
    }
    const read = entry.next?.index === index ? entry.next : await this.readBatch(entry, index);
    entry.next = null;
    entry.tags = read.tags;
    entry.toJudge.clear();
    for (const machine of read.machines) {
      this.machineRollout.set(machine.id, id);
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

  /** Those of `ids` already held by an active rollout, read PAGE at a time. */
  private async busy(ids: readonly string[]): Promise<{ machineId: string; rolloutId: string }[]> {
    const busy: { machineId: string; rolloutId: string }[] = [];
    for (let offset = 0; offset < ids.length; offset += PAGE) {
      busy.push(...(await machinesInActiveRollouts(this.deps.store.db, ids.slice(offset, offset + PAGE))));
      if (offset + PAGE < ids.length) await yieldToEventLoop();
    }
    return busy;
  }

  /** Writes machines of a new rollout; those another rollout holds leave it there (supersede) in the same transaction. */
  private async insertMembers(
    rolloutId: string,
    chunk: readonly (readonly [string, number, number])[],
    busyIn: ReadonlyMap<string, string>,
    actor: string,
  ): Promise<void> {
    const byRollout = new Map<string, string[]>();
    for (const [machineId] of chunk) {
      const holder = busyIn.get(machineId);
      if (holder) byRollout.set(holder, [...(byRollout.get(holder) ?? []), machineId]);
    }
    const superseded: { entry: Indexed; t: Transition }[] = [];
    await this.deps.store.write(async (tx) => {
      await insertRolloutMachines(tx, rolloutId, chunk);
      const now = this.deps.now();
      for (const [holder, machineIds] of byRollout) {
        const entry = this.rollouts.get(holder);
        if (!entry) continue;
        const machines: MachineState[] = [];
        for (const machineId of machineIds) {
          const machine = entry.machines.get(machineId) ?? (await this.storedMachine(holder, machineId));
          if (machine) machines.push(machine);
        }
        const recent = await reportTimesSince(tx, now);
        const event: RolloutEvent = { kind: "supersede", actor, by: rolloutId, machines };
        const t = next(entry.state, event, this.context(entry, now, recent));
        if ("refused" in t) continue;
        await persistTransition(tx, entry.state, t, now, entry.cacheUrl);
        superseded.push({ entry, t });
      }
    });
    for (const { entry, t } of superseded) {
      await this.applied(entry, t);
      this.toStep.add(entry.state.id);
    }
  }

  /** A crash during a creation leaves a rollout `created` that no client was told about: it is removed. */
  private async discardUnfinishedCreations(): Promise<void> {
    for (const row of await rolloutsWithStatus(this.deps.store.db, ["created"])) {
      await this.deps.store.write(async (tx) => {
        await deleteRollout(tx, row.id);
        await recordAudit(tx, this.deps.now(), {
          actor: EXECUTOR_ACTOR,
          action: "rollout.discarded",
          target: row.id,
          rolloutId: row.id,
          detail: { release_id: row.releaseId, reason: "its creation was interrupted by a restart" },
        });
      });
    }
  }
}

/** The row of a new rollout (status `created` until its machines are written). */
function rolloutRow(id: string, input: CreateRolloutInput, batchCount: number, now: number): RolloutRow {
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
  };
}
