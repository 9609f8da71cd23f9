import type { RolloutEvents } from "../context.ts";
import { latestAuditId, rolloutVersion } from "../db/audit.ts";
import type { Store, Tx } from "../db/database.ts";
import { persistTransition, reportTimesSince, rolloutsToRevert, type RevertedChunk } from "../db/rollouts.ts";
import {
  EXECUTOR_ACTOR,
  changesNothing,
  next,
  type RolloutEvent,
  type StepContext,
  type Transition,
} from "../domain/rollout-machine.ts";
import type { RandomSource } from "../domain/rollout-planning.ts";
import { LeaseLostError } from "../domain/lease.ts";
import type { ViewChanges } from "../domain/view-events.ts";
import { conflict, notFound } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { FleetState } from "./fleet-state.ts";
import { GateState } from "./gate-state.ts";
import {
  CREATE_CHUNK,
  discardAbandonedCreations,
  planRollout,
  removeRollout,
  writeRollout,
  type CreateRolloutInput,
  type PlannedRollout,
  type RolloutPlan,
  type RolloutWriter,
  type Superseded,
} from "./rollout-creation.ts";
import {
  StaleRolloutError,
  ensureLoaded,
  readActive,
  readAhead,
  readEntry,
  storedMachine,
  yieldToEventLoop,
  type Indexed,
} from "./rollout-loading.ts";
import { RolloutIndex } from "./rollout-index.ts";
import { RELEASE_CHUNK, applyTransition, countBlocks, revertAll, type Effects } from "./rollout-effects.ts";
import { hasReportsToJudge, stepContext, tickEvent } from "./rollout-step-input.ts";
import type { FollowingExecutor } from "./view-follower.ts";

export { EXECUTOR_ACTOR, CREATE_CHUNK, RELEASE_CHUNK };
export type { CreateRolloutInput, PlannedRollout };

/** How often the executor looks for deadlines that passed and rollouts to advance. */
export const TICK_INTERVAL_MS = 250;
/**
 * Machine changes per executor transaction at most: a batch of 100 000 starts in steps of this
 * many. A step costs ~40-60 µs per machine (its state, desired generation, previous generation and
 * audit row), so 500 keep each under ~25 ms of event loop, and the first machines of a batch are
 * served within one such step of the batch's start.
 */
export const MAX_CHANGES_PER_STEP = 500;
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

/** A verb of SPEC §14.1 sent to the executor. */
export type VerbEvent = Exclude<RolloutEvent, { kind: "tick" | "supersede" | "skip" }>;

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
  private readonly index = new RolloutIndex();
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
  /** What a creation reads of this executor and asks of it (see `writeRollout`). */
  private readonly rolloutWriter: RolloutWriter;
  private readonly effects: Effects;

  constructor(
    private readonly deps: RolloutExecutorDeps,
    options: { random?: RandomSource } = {},
  ) {
    this.random = options.random ?? Math.random;
    this.effects = {
      store: deps.store,
      fleet: deps.fleet,
      gates: this.gates,
      index: this.index,
      gateBlocks: this.gateBlocks,
    };
    this.rolloutWriter = {
      store: deps.store,
      now: () => deps.now(),
      indexed: (id) => (this.leading ? this.index.rollouts.get(id) : undefined),
      context: (entry, now, recent) => this.context(entry, now, recent),
      followAgain: (id) => {
        if (this.leading) this.index.followedRollouts.set(id, Infinity);
      },
      superseded: (list) => this.appliedSuperseded(list),
      written: (plan, version, cacheUrl) => this.indexCreated(plan, version, cacheUrl),
    };
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
    if (!this.leading || !this.index.machineRollout.has(machineId)) return;
    this.index.reported.add(machineId);
    this.scheduleDrain();
  }

  /** A page of the change feed touched these rollouts and gates: the leader reads again what it did not write itself. */
  followed(changes: ViewChanges): void {
    if (!this.leading) return;
    const gates = changes.lastGateEvent !== null && changes.lastGateEvent > this.gatesKnownUpTo;
    if (gates) this.gatesChanged = true;
    for (const [id, last] of changes.rollouts) this.index.follow(id, last);
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
    return this.index.rollouts.get(rolloutId)?.blockedBy ?? [];
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
      const plan = await planRollout(this.deps, input, this.random);
      await writeRollout(this.rolloutWriter, plan, input, this.creating);
      countBlocks(this.gateBlocks, plan.created);
      this.deps.fleet.setInActiveRollout(plan.machineIds, plan.rolloutId);
      this.scheduleDrain();
      return { rolloutId: plan.rolloutId, batches: plan.batches };
    });
  }

  /** Holders a creation superseded on the leader's own states: they take their transitions and step. */
  private async appliedSuperseded(list: readonly Superseded[]): Promise<void> {
    for (const { entry, t, version } of list) {
      entry.version = version;
      await this.applied(entry, t, null, "verb");
      this.index.toStep.add(entry.state.id);
    }
  }

  /** A rollout this process created now runs (or is scheduled): the leader indexes it. */
  private async indexCreated({ created }: RolloutPlan, version: number, cacheUrl: string | null): Promise<void> {
    if (!this.leading) return;
    // A percentage budget is of the machines having its tags now: machines registered or
    // tagged since it was last resolved would otherwise wait up to BUDGET_REFRESH_MS.
    if (this.gates.hasPercentBudgets) {
      await this.gates.loadGates(this.deps.store.db);
      this.budgetsRefreshedAt = this.deps.now();
    }
    this.index.add({
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
  }

  /** A verb of SPEC §14.1 (or v0.1's resume and cancel); 404 unknown rollout, 409 with the state's reason. */
  verb(rolloutId: string, event: VerbEvent): Promise<void> {
    return this.exclusive(() => this.applyVerb(rolloutId, async () => event));
  }

  /** Skips one undecided machine of a rollout (it leaves the rollout, keeping what it runs). */
  skip(rolloutId: string, machineId: string, actor: string, reason: string | null): Promise<void> {
    return this.exclusive(() =>
      this.applyVerb(rolloutId, async (entry) => {
        const machine =
          entry.machines.get(machineId) ?? (await storedMachine(this.deps.store.db, rolloutId, machineId));
        if (!machine) throw notFound(`machine ${machineId} is not in rollout ${rolloutId}`);
        return { kind: "skip", actor, machine, reason };
      }),
    );
  }

  /** Deletes a finished rollout with its batches, machines and events. */
  remove(rolloutId: string, actor: string): Promise<void> {
    return this.exclusive(() => removeRollout(this.deps, rolloutId, actor));
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
      this.index.stepAll();
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
        if (this.index.rollouts.get(rolloutId) === entry) await this.reload(rolloutId);
      }
    }
  }

  /**
   * After a verb, the leader takes the rollout as far as it goes now. The verb has committed
   * whatever happens here: a lost lease, a change elsewhere or a database fault only leave the
   * rest to the next tick (or to the next leader).
   */
  private async carryOn(entry: Indexed, t: Transition): Promise<void> {
    if (!this.leading || this.index.rollouts.get(entry.state.id) !== entry) return;
    try {
      await this.continueSteps(entry, t);
    } catch (error) {
      this.stepFailed(entry.state.id, error);
    }
  }

  /** The rollout's indexed entry when this process leads, else (or when it is not indexed) one read now; 404 when unknown. */
  private async entry(rolloutId: string): Promise<Indexed> {
    const indexed = this.leading ? this.index.rollouts.get(rolloutId) : undefined;
    if (indexed) return indexed;
    const read = await readEntry(this.deps.store.db, rolloutId);
    if (!read) throw notFound(`rollout ${rolloutId} not found`);
    return read;
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
      this.index.followedRollouts.set(error.rolloutId, Infinity);
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
    if (this.rebuildNeeded || this.index.hasWork) return this.scheduleDrain();
    if (performance.now() - this.housekeptAt >= HOUSEKEEPING_INTERVAL_MS) return this.scheduleDrain();
    const now = this.deps.now();
    if (this.gates.hasPercentBudgets && now - this.budgetsRefreshedAt >= BUDGET_REFRESH_MS) return this.scheduleDrain();
    if (this.index.anyAwake(now)) return this.scheduleDrain();
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
      this.index.stepAll();
    }
    // Bounded: whatever is still due after this many rounds waits for the next tick.
    for (let round = 0; round < 50; round++) {
      const work = this.index.takeWork(this.deps.now());
      if (work.size === 0) return;
      for (const [id, machineIds] of work) {
        const entry = this.index.rollouts.get(id);
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
    for await (const entry of readActive(db)) this.index.add(entry);
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
      this.index.stepAll();
    }
    if (this.index.followedRollouts.size === 0) return;
    if (await this.index.readFollowed(db, this.creating)) await this.gates.load(db);
  }

  private reload(rolloutId: string): Promise<void> {
    return this.index.reload(this.deps.store.db, rolloutId);
  }

  private clearIndex(): void {
    this.index.clear();
    this.gatesChanged = false;
  }

  /**
   * The leader's periodic look for what a process that died left: creations it never finished
   * (discarded) and reverts nobody is finishing (finished).
   */
  private async housekeep(): Promise<void> {
    this.housekeptAt = performance.now();
    await discardAbandonedCreations(this.deps, this.creating);
    for (const id of await rolloutsToRevert(this.deps.store.db)) {
      if (!this.reverting.has(id)) await this.revertAll(id, [-1, -1], "autonomous");
    }
  }

  /** After a step: as many ticks as it asks for (more work, a batch to load), then the next batch read ahead. */
  private async continueSteps(entry: Indexed, first: Transition): Promise<void> {
    let t = first;
    while (
      this.index.rollouts.get(entry.state.id) === entry &&
      (t.more || t.loadBatch !== null || entry.toJudge.size > 0)
    ) {
      await yieldToEventLoop();
      t = await this.step(entry, { kind: "tick" }, [], "autonomous");
    }
    await readAhead(this.deps.store.db, entry, this.index.rollouts);
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
    await ensureLoaded(this.deps.store.db, entry, this.index.rollouts, this.index.machineRollout);
    // A tick with nothing to judge often changes nothing (a gate changed elsewhere, a stale wake-up):
    // asked first without a transaction, it costs no write when that is so.
    if (event.kind === "tick" && !hasReportsToJudge(entry, reported, this.deps.now())) {
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
      const input = event.kind === "tick" ? await tickEvent(tx, entry, now, reported) : event;
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

  private context(entry: Indexed, now: number, recent: ReadonlyMap<string, number>): StepContext {
    // A process that does not lead applies a verb's own transition and starts no machine: what
    // the gates let start, and when, is decided by the leader alone.
    const maxChanges = this.leading ? MAX_CHANGES_PER_STEP : 0;
    return stepContext(entry, now, recent, { gates: this.gates, fleet: this.deps.fleet, maxChanges });
  }

  /** After a transition committed: see `applyTransition`; the rest of a revert is written as `mode` writes. */
  private applied(entry: Indexed, t: Transition, reverted: RevertedChunk | null, mode: WriteMode): Promise<void> {
    return applyTransition(this.effects, entry, t, reverted, (after) => this.revertAll(entry.state.id, after, mode));
  }

  /** Gives the rollout's machines their previous generations back (see `revertAll`), written as `mode` writes. */
  private revertAll(rolloutId: string, from: readonly [number, number], mode: WriteMode): Promise<void> {
    const write = this.writer(mode);
    return revertAll({ write, now: () => this.deps.now(), fleet: this.deps.fleet }, rolloutId, from, this.reverting);
  }
}
